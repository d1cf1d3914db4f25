export { type CheckPreview, type Plan, type PlanDeps, planRun } from './plan.ts';
export {
  type CommunityView,
  type ImageView,
  imageView,
  type ReapedView,
  type SeriesState,
  seriesStates,
  type StateSources,
} from './series-state.ts';
export { imagesOf, outlookText, type SeriesImage, usageCheckText } from './describe.ts';
