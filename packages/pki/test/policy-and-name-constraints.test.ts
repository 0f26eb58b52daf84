import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { hexToBytes } from '@noble/hashes/utils.js';
import {
  DEFAULT_POLICY_OIDS,
  derFromPemOrDer,
  parseCertificate,
  PkiError,
  readInhibitAnyPolicy,
  readNameConstraints,
  readPolicyConstraints,
  readPolicyMappings,
  SoftwareSigner,
  trustAnchor,
  validatePath,
  type PathValidationOptions,
} from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { NOW, testCardHolder, testHierarchy } from './fixtures.js';

/*
 * RFC 5280 policy processing and name constraints (issue 18, finding 7) beyond NIST PKITS: chains
 * OpenSSL makes with the extensions JPKI does not use, the forms openmyna cannot compare (which must
 * fail the path, never pass it), our own JPKI chains under the RFC 5280 policy inputs, and the
 * extension readers under random and mutated input.
 */

const dir = mkdtempSync(join(tmpdir(), 'openmyna-constraints-'));
const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
// OpenSSL dates the certificates from the real clock; validation is an hour later, inside every validity.
const VALIDATION_TIME = new Date(Date.now() + 3_600_000);

/** OpenSSL makes a key and a request for `subject` (`<name>.key`, `<name>.csr`). */
const request = (name: string, subject: string) =>
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]); // prettier-ignore

/** OpenSSL signs `<name>.csr` with `<issuer>` (`.pem`, `.key`) and the extension lines given, into `<name>.pem`. */
function issue(name: string, issuer: string, days: number, extensions: string) {
  writeFileSync(join(dir, `${name}.ext`), `${extensions}\n`);
  openssl([
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial',
    '-out', `${name}.pem`, '-days', String(days), '-extfile', `${name}.ext`,
  ]); // prettier-ignore
}

/** A root, an intermediate with `caExtensions`, and end entities with the given extension lines. */
function makeChain(caExtensions: string, endEntities: Record<string, string>) {
  const tag = Math.random().toString(36).slice(2, 8);
  openssl([
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${tag}-root.key`, '-out', `${tag}-root.pem`,
    '-days', '3', '-subj', '/C=JP/O=openmyna tests/CN=Constraint Root',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]); // prettier-ignore
  request(`${tag}-ca`, '/C=JP/O=openmyna tests/CN=Constrained CA');
  issue(
    `${tag}-ca`,
    `${tag}-root`,
    2,
    `basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n${caExtensions}`,
  );
  const read = (name: string) => parseCertificate(derFromPemOrDer(readFileSync(join(dir, name)), 'CERTIFICATE'));
  const leaves: Record<string, ReturnType<typeof parseCertificate>> = {};
  for (const [name, extensions] of Object.entries(endEntities)) {
    const [subject, ...lines] = extensions.split('\n');
    request(`${tag}-${name}`, subject!);
    issue(`${tag}-${name}`, `${tag}-ca`, 1, `basicConstraints=critical,CA:FALSE\n${lines.join('\n')}`);
    leaves[name] = read(`${tag}-${name}.pem`);
  }
  const options = (name: string, extra: Partial<PathValidationOptions> = {}): PathValidationOptions => ({
    certificate: leaves[name]!,
    intermediates: [read(`${tag}-ca.pem`)],
    trustAnchors: [trustAnchor(derFromPemOrDer(readFileSync(join(dir, `${tag}-root.pem`)), 'CERTIFICATE'))],
    time: VALIDATION_TIME,
    checkRevocation: false,
    backend: nodeCryptoBackend,
    ...extra,
  });
  return { options };
}

const outcome = async (options: PathValidationOptions) => {
  const result = await validatePath(options);
  return { status: result.status, decidedBy: result.decidedBy?.check, policies: result.userConstrainedPolicySet };
};

describe('name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b), (c))', () => {
  let chain: ReturnType<typeof makeChain>;
  beforeAll(() => {
    chain = makeChain(
      'nameConstraints=critical,permitted;DNS:example.jp,excluded;DNS:bad.example.jp,permitted;IP:10.0.0.0/255.0.0.0,permitted;email:.example.jp,permitted;dirName:permitted_dn,permitted;RID:1.2.3\n[permitted_dn]\nC=JP\nO=openmyna tests',
      {
        inside:
          '/C=JP/O=openmyna tests/CN=inside\nsubjectAltName=DNS:www.example.jp,IP:10.1.2.3,email:a@mail.example.jp',
        excludedDns: '/C=JP/O=openmyna tests/CN=excluded\nsubjectAltName=DNS:www.bad.example.jp',
        outsideDns: '/C=JP/O=openmyna tests/CN=outside\nsubjectAltName=DNS:example.jp.evil.com',
        outsideAddress: '/C=JP/O=openmyna tests/CN=address\nsubjectAltName=IP:11.0.0.1',
        outsideMail: '/C=JP/O=openmyna tests/CN=mail\nsubjectAltName=email:a@example.jp',
        outsideDirectory: '/C=JP/O=someone else/CN=directory',
        subjectEmail: '/C=JP/O=openmyna tests/CN=legacy/emailAddress=a@evil.example',
        registeredId: '/C=JP/O=openmyna tests/CN=rid\nsubjectAltName=RID:1.2.3.4',
        otherName: '/C=JP/O=openmyna tests/CN=other\nsubjectAltName=otherName:1.2.392.200149.8.5.5.1;UTF8:黒桐',
      },
    );
  });

  it('accepts names inside every permitted subtree', async () => {
    expect(await outcome(chain.options('inside'))).toMatchObject({ status: 'valid' });
  });

  it.each([
    ['a dNSName in an excluded subtree', 'excludedDns'],
    ['a dNSName outside the permitted subtree (suffix without a label boundary)', 'outsideDns'],
    ['an iPAddress outside the permitted network', 'outsideAddress'],
    ['an rfc822Name on the host itself where only hosts below it are permitted', 'outsideMail'],
    ['a subject outside the permitted directory subtree', 'outsideDirectory'],
    ['a legacy emailAddress in the subject outside the permitted rfc822 subtree', 'subjectEmail'],
    ['a registeredID, a form openmyna does not compare (fails closed)', 'registeredId'],
  ])('refuses %s', async (_label, name) => {
    expect(await outcome(chain.options(name))).toMatchObject({
      status: 'invalid',
      decidedBy: 'certificate[0].name-constraints',
    });
  });

  it('lets an otherName through where no subtree of that form is permitted or excluded', async () => {
    expect(await outcome(chain.options('otherName'))).toMatchObject({ status: 'valid' });
  });
});

describe('policy processing (RFC 5280 §6.1.3 (d)–(f), §6.1.4, §6.1.5)', () => {
  let chain: ReturnType<typeof makeChain>;
  beforeAll(() => {
    chain = makeChain(
      'certificatePolicies=1.2.392.999.1,1.2.392.999.2\npolicyConstraints=critical,requireExplicitPolicy:0\npolicyMappings=critical,1.2.392.999.2:1.2.392.999.20',
      {
        same: '/CN=same\ncertificatePolicies=1.2.392.999.1',
        mapped: '/CN=mapped\ncertificatePolicies=1.2.392.999.20',
        other: '/CN=other\ncertificatePolicies=1.2.392.999.3',
        none: '/CN=none',
      },
    );
  });

  it('names the policies the path is valid for, in the trust anchor domain', async () => {
    expect(await outcome(chain.options('same'))).toMatchObject({ status: 'valid', policies: ['1.2.392.999.1'] });
    // 999.20 below the mapping counts as the policy it was mapped from.
    expect(await outcome(chain.options('mapped'))).toMatchObject({ status: 'valid', policies: ['1.2.392.999.2'] });
  });

  it("enforces the CA's requireExplicitPolicy: an end entity with no acceptable policy fails", async () => {
    expect(await outcome(chain.options('other'))).toMatchObject({
      status: 'invalid',
      decidedBy: 'certificate[0].policies',
    });
    expect(await outcome(chain.options('none'))).toMatchObject({
      status: 'invalid',
      decidedBy: 'certificate[0].policies',
    });
  });

  it('intersects with the user-initial-policy-set', async () => {
    expect(
      await outcome(chain.options('same', { initialPolicySet: ['1.2.392.999.2'], initialExplicitPolicy: true })),
    ).toMatchObject({ status: 'invalid', decidedBy: 'path.policies' });
    expect(
      await outcome(chain.options('mapped', { initialPolicySet: ['1.2.392.999.2'], initialExplicitPolicy: true })),
    ).toMatchObject({ status: 'valid', policies: ['1.2.392.999.2'] });
  });

  it('refuses the mapping when initial-policy-mapping-inhibit is set', async () => {
    expect(await outcome(chain.options('mapped', { initialPolicyMappingInhibit: true }))).toMatchObject({
      status: 'invalid',
    });
  });
});

describe('JPKI paths under the RFC 5280 policy inputs', () => {
  it('a signing certificate is valid for the signing policy only', async () => {
    const { ca } = await testHierarchy('signing');
    const subject = await SoftwareSigner.generate();
    const der = await ca.issueEndEntity({
      profile: 'jpki-signing',
      subjectPublicKeyInfo: subject.publicKeyInfo,
      holder: testCardHolder(),
      issuedAt: NOW,
    });
    const base = {
      certificate: parseCertificate(der),
      trustAnchors: [trustAnchor(ca.certificate)],
      time: NOW,
      checkRevocation: false,
      backend: nodeCryptoBackend,
      initialExplicitPolicy: true,
    };
    const signing = await validatePath({ ...base, initialPolicySet: [DEFAULT_POLICY_OIDS.signing] });
    expect(signing.status).toBe('valid');
    expect(signing.userConstrainedPolicySet).toEqual([DEFAULT_POLICY_OIDS.signing]);
    const authentication = await validatePath({ ...base, initialPolicySet: [DEFAULT_POLICY_OIDS.authentication] });
    expect(authentication).toMatchObject({ status: 'invalid', decidedBy: { check: 'path.policies' } });
  });
});

describe('the policy and name-constraint extension readers', () => {
  const codeOf = (action: () => unknown) => {
    try {
      action();
      return 'accepted';
    } catch (error) {
      return error instanceof PkiError ? error.code : `not a PkiError: ${String(error)}`;
    }
  };
  const readers = [readNameConstraints, readPolicyMappings, readPolicyConstraints, readInhibitAnyPolicy];

  it.each([
    [
      'nameConstraints with a minimum (RFC 5280: MUST be zero, so never encoded)',
      () => readNameConstraints(hexToBytes('300fa00d300b820765786d706c65800101')),
    ],
    ['nameConstraints with a maximum', () => readNameConstraints(hexToBytes('300fa00d300b820765786d706c65810101'))],
    ['nameConstraints with no subtree lists', () => readNameConstraints(hexToBytes('3000'))],
    ['an empty permittedSubtrees', () => readNameConstraints(hexToBytes('3002a000'))],
    ['policyConstraints with neither field', () => readPolicyConstraints(hexToBytes('3000'))],
    ['policyConstraints with the fields out of order', () => readPolicyConstraints(hexToBytes('3006810100800100'))],
    ['an empty policyMappings', () => readPolicyMappings(hexToBytes('3000'))],
    ['a negative inhibitAnyPolicy', () => readInhibitAnyPolicy(hexToBytes('0201ff'))],
  ])('refuses %s', (_label, action) => {
    expect(codeOf(action)).toMatch(/^ERR_DER_/);
  });

  it('reads what they should', () => {
    expect(readPolicyConstraints(hexToBytes('3006800100810102'))).toEqual({
      requireExplicitPolicy: 0,
      inhibitPolicyMapping: 2,
    });
    expect(readInhibitAnyPolicy(hexToBytes('020101'))).toBe(1);
    const constraints = readNameConstraints(hexToBytes('3011a00f300d820b6578616d706c652e636f6d'));
    expect(constraints.permitted).toHaveLength(1);
    expect(constraints.excluded).toHaveLength(0);
  });

  it('answer random bytes only with PkiErrors (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        for (const read of readers) expect(codeOf(() => read(bytes))).toMatch(/^(ERR_|accepted$)/);
      }),
      { numRuns: 2000 },
    );
  });

  it('answer mutated encodings only with PkiErrors or a reading (property)', () => {
    const samples = [
      hexToBytes('3011a00f300d820b6578616d706c652e636f6d'),
      hexToBytes('3006800100810102'),
      hexToBytes('3012301006082a03040506070801060440010203'),
    ];
    fc.assert(
      fc.property(fc.nat(2), fc.nat(40), fc.integer({ min: 1, max: 255 }), (which, at, xor) => {
        const changed = samples[which]!.slice();
        changed[at % changed.length]! ^= xor;
        for (const read of readers) expect(codeOf(() => read(changed))).toMatch(/^(ERR_|accepted$)/);
      }),
      { numRuns: 2000 },
    );
  });
});
