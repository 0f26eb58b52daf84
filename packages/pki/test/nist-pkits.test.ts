import {
  parseCertificate,
  parseCrl,
  trustAnchor,
  validatePath,
  webCryptoBackend,
  type SignatureBackend,
  type X509Certificate,
} from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { describe, expect, it } from 'vitest';

import { readVector, readVectorJson } from '../../../test-support/test-vectors.js';

interface PkitsCase {
  test_number: string;
  title: string;
  certs: string[];
  crls: string[];
  initial_policy_set: string[];
  initial_explicit_policy: boolean;
  initial_policy_mapping_inhibit: boolean;
  initial_inhibit_any_policy: boolean;
  should_validate: boolean;
  expected_user_constrained_policy_set?: string[];
}

interface PkitsSuite {
  validation_time: string;
  defaults: { expected_user_constrained_policy_set: string[] };
  policy_oids: Record<string, string>;
  tests: PkitsCase[];
}

const suite = readVectorJson<PkitsSuite>('pkits/testcases.json');
const time = new Date(suite.validation_time);
const oid = (name: string) => suite.policy_oids[name] ?? name;

/**
 * Valid paths refused on purpose, each with why: the only ones left are DSA, which openmyna does not
 * verify (JPKI is RSA; mdoc is ECDSA/EdDSA). Refusing is the fail-closed answer.
 */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  '4.1.4': 'DSA signatures',
  '4.1.5': 'DSA parameter inheritance',
};

const certificateCache = new Map<string, X509Certificate>();
const certificate = (name: string) => {
  let parsed = certificateCache.get(name);
  if (!parsed) {
    parsed = parseCertificate(readVector(`pkits/certs/${name}.crt`));
    certificateCache.set(name, parsed);
  }
  return parsed;
};

async function run(test: PkitsCase, backend: SignatureBackend) {
  const [anchorName, ...rest] = test.certs;
  let crls;
  let path;
  try {
    path = rest.map(certificate);
    crls = test.crls.map((name) => parseCrl(readVector(`pkits/crls/${name}.crl`)));
  } catch (error) {
    // Malformed input is refused before validation starts.
    return { valid: false, decidedBy: `parse: ${(error as Error).message}`, policies: [] };
  }
  const result = await validatePath({
    certificate: path[path.length - 1]!,
    intermediates: path.slice(0, -1),
    trustAnchors: [trustAnchor(readVector(`pkits/certs/${anchorName}.crt`))],
    time,
    crls,
    backend,
    initialPolicySet: test.initial_policy_set.map(oid),
    initialExplicitPolicy: test.initial_explicit_policy,
    initialPolicyMappingInhibit: test.initial_policy_mapping_inhibit,
    initialAnyPolicyInhibit: test.initial_inhibit_any_policy,
  });
  return {
    valid: result.status === 'valid',
    decidedBy: result.decidedBy?.check,
    policies: [...result.userConstrainedPolicySet].sort(),
  };
}

// Several cases run one path with different policy inputs ("Subpart 1", "Subpart 2", …).
const cases = suite.tests.map((test, index) => [`#${index + 1} ${test.test_number}`, test.title, test] as const);

describe.each([webCryptoBackend, nodeCryptoBackend])('NIST PKITS 1.0.1 (vectors/pkits), $name backend', (backend) => {
  it('has all 249 cases of PKITS 1.0.1, sections 4.1 to 4.16', () => {
    expect(suite.tests).toHaveLength(249);
    const sections = new Set(suite.tests.map((test) => test.test_number.split('.').slice(0, 2).join('.')));
    expect(sections.size).toBe(16);
  });

  it.each(cases)('%s %s', async (_label, _title, test) => {
    const { valid, decidedBy, policies } = await run(test, backend);
    if (UNSUPPORTED[test.test_number]) {
      expect(test.should_validate, 'only valid paths may be listed as unsupported').toBe(true);
      expect(valid).toBe(false);
      return;
    }
    expect({ valid, decidedBy }).toMatchObject({ valid: test.should_validate });
    if (valid) {
      // RFC 5280 §6.1.6: the user-constrained policy set, named in the trust anchor's domain.
      const expected = (
        test.expected_user_constrained_policy_set ?? suite.defaults.expected_user_constrained_policy_set
      )
        .map(oid)
        .sort();
      expect(policies).toEqual(expected);
    }
  });
});
