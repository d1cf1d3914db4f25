// Endpoint selection from a Keystone v3 token catalogue (the shape Keystone returns: each
// endpoint with id, interface, region_id, region and url): the endpoint comes from the
// selected region, never from whichever region happens to be listed first.
import { describe, expect, it } from 'vitest';
import { AuthError, selectEndpoint } from '../src/index.ts';

const endpoint = (region: string, iface: string, url: string, id: string) => ({
  id,
  interface: iface,
  region_id: region,
  region,
  url,
});

// Two regions, listed in an order that puts the unwanted region first.
const catalog = [
  {
    id: 'a1e4',
    type: 'identity',
    name: 'keystone',
    endpoints: [endpoint('RegionOne', 'public', 'https://keystone.example:5000', 'e1')],
  },
  {
    id: 'b7f2',
    type: 'image',
    name: 'glance',
    endpoints: [
      endpoint('RegionTwo', 'public', 'https://glance.two.example:9292/', 'e2'),
      endpoint('RegionTwo', 'internal', 'http://glance.two.internal:9292', 'e3'),
      endpoint('RegionOne', 'public', 'https://glance.one.example:9292', 'e4'),
      endpoint('RegionOne', 'internal', 'http://glance.one.internal:9292', 'e5'),
    ],
  },
  {
    id: 'c9d0',
    type: 'volumev3',
    name: 'cinderv3',
    endpoints: [
      endpoint('RegionTwo', 'public', 'https://cinder.two.example:8776/v3/p1', 'e6'),
      endpoint('RegionOne', 'public', 'https://cinder.one.example:8776/v3/p1', 'e7'),
    ],
  },
];

describe('selectEndpoint', () => {
  it("takes the selected region's endpoint for the interface, wherever it is listed", () => {
    expect(selectEndpoint(catalog, 'image', 'RegionOne', 'public', 'c')).toBe(
      'https://glance.one.example:9292',
    );
    expect(selectEndpoint(catalog, 'image', 'RegionOne', 'internal', 'c')).toBe(
      'http://glance.one.internal:9292',
    );
    expect(selectEndpoint(catalog, 'image', 'RegionTwo', 'public', 'c')).toBe(
      'https://glance.two.example:9292',
    );
    expect(selectEndpoint(catalog, 'block-storage', 'RegionOne', 'public', 'c')).toBe(
      'https://cinder.one.example:8776/v3/p1',
    );
    // a catalogue that names regions only by `region` (older Keystone) works too
    const legacy = [
      {
        type: 'image',
        endpoints: [
          { interface: 'public', region: 'RegionTwo', url: 'https://two' },
          { interface: 'public', region: 'RegionOne', url: 'https://one' },
        ],
      },
    ];
    expect(selectEndpoint(legacy, 'image', 'RegionOne', 'public', 'c')).toBe('https://one');
  });

  it('names the region and what the catalogue offers when the region has no endpoint', () => {
    expect(() => selectEndpoint(catalog, 'image', 'RegionThree', 'public', 'cfg:x')).toThrow(
      new AuthError(
        'cfg:x: the catalogue has no image endpoint for interface "public" in region "RegionThree" ' +
          '(it offers image/public/RegionTwo, image/internal/RegionTwo, image/public/RegionOne, ' +
          'image/internal/RegionOne)',
      ),
    );
  });

  it('refuses to guess when no region is set and several regions offer the service', () => {
    expect(() => selectEndpoint(catalog, 'image', undefined, 'public', 'cfg:x')).toThrow(
      new AuthError(
        'cfg:x: the catalogue offers image in several regions (RegionTwo, RegionOne): ' +
          'set region_name (or OS_REGION_NAME) to choose one',
      ),
    );
    // one region: nothing to choose
    expect(selectEndpoint(catalog, 'identity', undefined, 'public', 'c')).toBe(
      'https://keystone.example:5000',
    );
  });
});
