import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../src/index.ts';

describe('Redactor', () => {
  it('masks registered secrets wherever they appear', () => {
    const r = new Redactor();
    r.add('hunter2-long-password');
    r.add('gAAAAABtokenvalue');
    expect(r.text('login with hunter2-long-password failed; token gAAAAABtokenvalue')).toBe(
      `login with ${REDACTED} failed; token ${REDACTED}`,
    );
  });

  it('masks secrets by shape even when they were never registered', () => {
    const r = new Redactor();
    expect(r.text('{"user":{"name":"u","password":"pa\\"ss"}}')).toBe(
      `{"user":{"name":"u","password":"${REDACTED}"}}`,
    );
    expect(r.text('X-Auth-Token: gAAAAAB123')).toBe(`X-Auth-Token: ${REDACTED}`);
    expect(r.text('Authorization: Bearer abc.def')).toBe(`Authorization: ${REDACTED}`);
    expect(r.text('https://h/p?token=abc&x=1')).toBe(`https://h/p?token=${REDACTED}&x=1`);
    expect(r.text('"application_credential_secret": "xyz"')).toBe(
      `"application_credential_secret": "${REDACTED}"`,
    );
  });

  it('masks secret-named members of objects deeply, leaving the rest', () => {
    const r = new Redactor();
    const input = {
      auth: { password: 'p', username: 'u', nested: [{ secret: 's', token: 't' }] },
      headers: { 'X-Auth-Token': 'x' },
    };
    expect(r.value(input)).toEqual({
      auth: { password: REDACTED, username: 'u', nested: [{ secret: REDACTED, token: REDACTED }] },
      headers: { 'X-Auth-Token': REDACTED },
    });
    expect(input.auth.password).toBe('p');
  });

  it('ignores values too short to be credentials', () => {
    const r = new Redactor();
    r.add('ab');
    expect(r.text('abc')).toBe('abc');
  });
});
