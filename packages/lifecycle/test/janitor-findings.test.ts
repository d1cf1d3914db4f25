import type { GlanceImage } from '@imagecycle/openstack';
import { describe, expect, it } from 'vitest';
import { janitorFindings } from '../src/index.ts';

const NOW = new Date('2026-12-05T12:00:00Z');
const HOUR = 3_600_000;

const image = (id: string, state: string, status: string, createdAt: string): GlanceImage =>
  ({
    id,
    name: id,
    status,
    visibility: 'private',
    owner: 'service',
    protected: false,
    tags: ['imagecycle'],
    created_at: createdAt,
    updated_at: createdAt,
    imagecycle_series: 'debian-12',
    imagecycle_state: state,
  }) as unknown as GlanceImage;

const ago = (hours: number) => new Date(NOW.getTime() - hours * HOUR).toISOString();

describe('what the janitor finds in a series', () => {
  it('finds candidates older than any upload, whatever their status, and no younger one', () => {
    const findings = janitorFindings(
      [
        image('queued-old', 'candidate', 'queued', ago(30)),
        image('saving-old', 'candidate', 'saving', ago(25)),
        image('killed-old', 'candidate', 'killed', ago(48)),
        image('active-unverified', 'candidate', 'active', ago(26)),
        image('uploading-now', 'candidate', 'saving', ago(2)),
        image('latest', 'latest', 'active', ago(100)),
        image('community', 'community', 'active', ago(500)),
      ],
      NOW,
    );
    expect(findings.deadCandidates.map((f) => f.image.id)).toEqual([
      'queued-old',
      'saving-old',
      'killed-old',
      'active-unverified',
    ]);
    expect(findings.deadCandidates[0]?.because).toBe(
      'a candidate (queued) for 30.0 h: its upload is long over',
    );
    expect(findings.strandedReaps).toEqual([]);
  });

  it('keeps a candidate whose upload date cannot be read', () => {
    const findings = janitorFindings([image('no-date', 'candidate', 'queued', '')], NOW);
    expect(findings.deadCandidates).toEqual([]);
  });

  it('finds every retiring image, deactivated or not, to resume its reap', () => {
    const findings = janitorFindings(
      [
        image('stranded', 'retiring', 'deactivated', ago(400)),
        image('half', 'retiring', 'active', ago(400)),
        image('community', 'community', 'deactivated', ago(400)),
      ],
      NOW,
    );
    expect(findings.strandedReaps.map((f) => [f.image.id, f.because])).toEqual([
      ['stranded', 'retiring (deactivated): the reap resumes at its last usage check'],
      ['half', 'retiring (active): the reap resumes at its last usage check'],
    ]);
  });
});
