import { PHASE_NAMES } from '../../phases';
import { stackNames, templateJson } from './support/assembly';

/**
 * The wide net: one snapshot per phase and stack, reviewed in the diff of any change. Asset
 * hashes are normalized so that a rebuilt bundle with the same behaviour does not churn them.
 */
function normalized(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}

describe.each(PHASE_NAMES)('phase %s', (phase) => {
  test.each(stackNames(phase))('stack %s matches its snapshot', (stack) => {
    expect(normalized(templateJson(phase, stack))).toMatchSnapshot();
  });
});
