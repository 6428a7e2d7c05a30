import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitImage, wrongImages } from '../../src/activities/release-verify.js';

describe('splitImage', () => {
  it('repository and tag', () => {
    assert.deepEqual(splitImage('ghcr.io/gbrigandi/soctalk-api:0.2.0'), { repository: 'ghcr.io/gbrigandi/soctalk-api', tag: '0.2.0' });
    assert.deepEqual(splitImage('postgres:15'), { repository: 'postgres', tag: '15' });
  });

  it('a registry port is not a tag', () => {
    assert.deepEqual(splitImage('registry.local:5000/soctalk-api'), { repository: 'registry.local:5000/soctalk-api' });
    assert.deepEqual(splitImage('registry.local:5000/soctalk-api:0.2.0-rc.1'), { repository: 'registry.local:5000/soctalk-api', tag: '0.2.0-rc.1' });
  });

  it('digests are ignored, with or without a tag', () => {
    const digest = '@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
    assert.deepEqual(splitImage(`ghcr.io/x/soctalk-api:0.2.0${digest}`), { repository: 'ghcr.io/x/soctalk-api', tag: '0.2.0' });
    assert.deepEqual(splitImage(`ghcr.io/x/soctalk-api${digest}`), { repository: 'ghcr.io/x/soctalk-api' });
  });

  it('no tag at all', () => {
    assert.deepEqual(splitImage('soctalk-api'), { repository: 'soctalk-api' });
    assert.deepEqual(splitImage(''), { repository: '' });
  });
});

describe('wrongImages', () => {
  const images = [
    'ghcr.io/gbrigandi/soctalk-api:0.2.0',
    'ghcr.io/gbrigandi/soctalk-worker:0.1.0',
    'ghcr.io/gbrigandi/soctalk-ui',
    'postgres:15',
    'registry.local:5000/envoy:1.30',
  ];

  it('images matching the pattern whose tag is not the new one, a missing tag included', () => {
    assert.deepEqual(wrongImages(images, /soctalk/, '0.2.0'), ['ghcr.io/gbrigandi/soctalk-worker:0.1.0', 'ghcr.io/gbrigandi/soctalk-ui']);
  });

  it('the pattern is matched against the repository, not the tag', () => {
    assert.deepEqual(wrongImages(['postgres:soctalk'], /soctalk/, '0.2.0'), []);
    assert.deepEqual(wrongImages(images, /soctalk-api$/, '0.2.0'), []);
    assert.deepEqual(wrongImages(images, /soctalk-api$/, '0.3.0'), ['ghcr.io/gbrigandi/soctalk-api:0.2.0']);
  });

  it('all right: nothing wrong; no images: nothing wrong', () => {
    assert.deepEqual(wrongImages(['ghcr.io/gbrigandi/soctalk-api:0.2.0', 'postgres:15'], /soctalk/, '0.2.0'), []);
    assert.deepEqual(wrongImages([], /soctalk/, '0.2.0'), []);
  });

  it('tags compare exactly ("0.2" is not "0.2.0")', () => {
    assert.deepEqual(wrongImages(['soctalk-api:0.2'], /soctalk/, '0.2.0'), ['soctalk-api:0.2']);
  });
});
