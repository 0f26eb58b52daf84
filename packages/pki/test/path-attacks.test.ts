import {
  ocspRevocationChecker,
  parseCertificate,
  parseCrl,
  PkiError,
  trustAnchor,
  validatePath,
  type PathValidationOptions,
} from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { describe, expect, it } from 'vitest';

import {
  basicConstraints,
  caKeyUsage,
  certificatePolicies,
  commonName,
  crlNumber,
  crlSignOnly,
  directoryName,
  dnsName,
  extension,
  FORGE_NOW,
  forgeCertificate,
  forgeCrl,
  forgeKey,
  forgeRoot,
  name,
  nameConstraints,
  oid,
  policyMappings,
  sequence,
  subjectAltName,
  text,
  tlv,
  uri,
} from '../../../test-support/x509-forge.js';

/*
 * Hostile paths an adversarial review of validatePath built (issue 18): each must end in a named
 * failure, promptly, with no outside request made and nothing thrown but a result.
 */

const rootKey = forgeKey(0);
const caKey = forgeKey(1);
const eeKey = forgeKey(2);
const otherKey = forgeKey(3);
const root = forgeRoot('Root', rootKey);
const anchors = [trustAnchor(root)];
const base = (certificate: Uint8Array, extra: Partial<PathValidationOptions> = {}): PathValidationOptions => ({
  certificate: parseCertificate(certificate),
  trustAnchors: anchors,
  time: FORGE_NOW,
  checkRevocation: false,
  backend: nodeCryptoBackend,
  ...extra,
});
const rootCrl = () => parseCrl(forgeCrl({ issuer: commonName('Root'), key: rootKey, extensions: [crlNumber(1)] }));

/** Serial 5, issued by the root directly. */
const leafUnderRoot = () =>
  forgeCertificate({
    serial: 5,
    issuer: commonName('Root'),
    subject: commonName('Leaf'),
    subjectKey: eeKey,
    issuerKey: rootKey,
    extensions: [basicConstraints(false)],
  });

describe('revocation cannot be answered by the wrong CRL', () => {
  const issuing = forgeCertificate({
    issuer: commonName('Root'),
    subject: commonName('Issuing CA'),
    subjectKey: caKey,
    issuerKey: rootKey,
    extensions: [basicConstraints(true), caKeyUsage()],
  });
  const ee = forgeCertificate({
    serial: 100,
    issuer: commonName('Issuing CA'),
    subject: commonName('Victim'),
    subjectKey: eeKey,
    issuerKey: caKey,
    extensions: [basicConstraints(false)],
  });
  const otherRootKey = forgeKey(4);
  const otherRoot = forgeRoot('Root B', otherRootKey);
  // In hierarchy B, a CRL signer named like hierarchy A's issuing CA.
  const lookAlike = forgeCertificate({
    issuer: commonName('Root B'),
    subject: commonName('Issuing CA'),
    subjectKey: otherKey,
    issuerKey: otherRootKey,
    extensions: [crlSignOnly()],
  });
  const genuine = parseCrl(
    forgeCrl({
      issuer: commonName('Issuing CA'),
      key: caKey,
      entries: [{ serial: 100, reason: 1 }],
      extensions: [crlNumber(5)],
    }),
  );
  const fake = parseCrl(forgeCrl({ issuer: commonName('Issuing CA'), key: otherKey, extensions: [crlNumber(6)] }));
  const options = (crls: ReturnType<typeof parseCrl>[]) =>
    base(ee, {
      intermediates: [parseCertificate(issuing), parseCertificate(lookAlike)],
      trustAnchors: [trustAnchor(root), trustAnchor(otherRoot)],
      checkRevocation: true,
      crls: [
        rootCrl(),
        parseCrl(forgeCrl({ issuer: commonName('Root B'), key: otherRootKey, extensions: [crlNumber(1)] })),
        ...crls,
      ],
    });

  it('a CRL signer whose path ends at another trust anchor is not used (RFC 5280 §6.3.3 (f))', async () => {
    expect((await validatePath(options([fake]))).status).toBe('status-unknown');
    expect(await validatePath(options([fake, genuine]))).toMatchObject({
      status: 'invalid',
      decidedBy: { check: 'certificate[0].revocation' },
    });
  });

  it('of two current CRLs the newer answers, whatever their order', async () => {
    const leaf = leafUnderRoot();
    const older = parseCrl(
      forgeCrl({
        issuer: commonName('Root'),
        key: rootKey,
        thisUpdate: new Date('2029-12-01T00:00:00Z'),
        extensions: [crlNumber(1)],
      }),
    );
    const newer = parseCrl(
      forgeCrl({
        issuer: commonName('Root'),
        key: rootKey,
        thisUpdate: new Date('2029-12-31T00:00:00Z'),
        entries: [{ serial: 5, reason: 1 }],
        extensions: [crlNumber(2)],
      }),
    );
    for (const crls of [
      [older, newer],
      [newer, older],
    ])
      expect((await validatePath(base(leaf, { checkRevocation: true, crls }))).status).toBe('invalid');
  });

  it('a CRL without nextUpdate never answers (RFC 5280 §5.1.2.5)', async () => {
    const leaf = leafUnderRoot();
    const timeless = parseCrl(
      forgeCrl({
        issuer: commonName('Root'),
        key: rootKey,
        thisUpdate: new Date('2000-01-01T00:00:00Z'),
        nextUpdate: null,
      }),
    );
    expect((await validatePath(base(leaf, { checkRevocation: true, crls: [timeless] }))).status).toBe('status-unknown');
  });
});

describe('forged certificates are refused before anything they say is acted on', () => {
  it('asks no responder about a certificate whose signature fails (no request to its AIA)', async () => {
    const aia = extension(
      '1.3.6.1.5.5.7.1.1',
      false,
      sequence(sequence(oid('1.3.6.1.5.5.7.48.1'), text(0x86, 'http://169.254.169.254/latest/meta-data/'))),
    );
    const forged = forgeCertificate({
      issuer: commonName('Root'),
      subject: commonName('Mallory'),
      subjectKey: otherKey,
      issuerKey: otherKey,
      extensions: [aia],
    });
    const fetched: string[] = [];
    const fetch = ((url: string) => {
      fetched.push(url);
      return Promise.resolve(new Response('', { status: 500 }));
    }) as typeof globalThis.fetch;
    const result = await validatePath(
      base(forged, { checkRevocation: true, revocation: ocspRevocationChecker({ fetch, time: () => FORGE_NOW }) }),
    );
    expect(result).toMatchObject({ status: 'invalid', decidedBy: { check: 'certificate[0].signature' } });
    expect(fetched).toEqual([]);
  });

  it('does not try every ordering of many same-named intermediates', async () => {
    const intermediates = Array.from({ length: 24 }, (_, index) =>
      parseCertificate(
        forgeCertificate({
          serial: index + 1,
          issuer: commonName('X'),
          subject: commonName('X'),
          subjectKey: caKey,
          issuerKey: caKey,
          forged: true,
          extensions: [basicConstraints(true)],
        }),
      ),
    );
    const leaf = forgeCertificate({
      issuer: commonName('X'),
      subject: commonName('EE'),
      subjectKey: eeKey,
      issuerKey: caKey,
      forged: true,
    });
    expect(await validatePath(base(leaf, { intermediates }))).toMatchObject({ decidedBy: { check: 'path.build' } });
  });

  it('refuses more than 64 candidate intermediates outright', async () => {
    const one = parseCertificate(
      forgeCertificate({
        issuer: commonName('Root'),
        subject: commonName('CA'),
        subjectKey: caKey,
        issuerKey: rootKey,
      }),
    );
    const leaf = forgeCertificate({
      issuer: commonName('CA'),
      subject: commonName('EE'),
      subjectKey: eeKey,
      issuerKey: caKey,
    });
    const result = await validatePath(base(leaf, { intermediates: Array.from({ length: 65 }, () => one) }));
    expect(result).toMatchObject({ status: 'invalid', decidedBy: { check: 'path.build' } });
    expect(result.decidedBy?.reason).toMatch(/more than 64/);
  });
});

describe('work bounded on validly signed hostile paths', () => {
  it('a policy tree that mappings would make exponential is refused at its bound', async () => {
    const K = 10;
    const DEPTH = 6;
    const policy = (level: number, index: number) => `1.2.3.${level}.${index}`;
    const intermediates = [];
    let issuerName = commonName('Root');
    let issuerKey = rootKey;
    for (let level = 1; level <= DEPTH; level++) {
      const pairs: [string, string][] = [];
      for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) pairs.push([policy(level, a), policy(level + 1, b)]);
      const subject = commonName(`CA${level}`);
      intermediates.push(
        parseCertificate(
          forgeCertificate({
            issuer: issuerName,
            subject,
            subjectKey: caKey,
            issuerKey,
            extensions: [
              basicConstraints(true),
              caKeyUsage(),
              certificatePolicies(...Array.from({ length: K }, (_, index) => policy(level, index))),
              policyMappings(pairs),
            ],
          }),
        ),
      );
      issuerName = subject;
      issuerKey = caKey;
    }
    const leaf = forgeCertificate({
      issuer: issuerName,
      subject: commonName('EE'),
      subjectKey: eeKey,
      issuerKey: caKey,
      extensions: [certificatePolicies(...Array.from({ length: K }, (_, index) => policy(DEPTH + 1, index)))],
    });
    const result = await validatePath(base(leaf, { intermediates }));
    expect(result.status).toBe('invalid');
    expect(result.decidedBy?.reason).toMatch(/policy tree would exceed/);
  });

  it('name constraints that would need millions of comparisons fail by their bound', async () => {
    const N = 1000;
    const dn = (index: number) => name([['2.5.4.10', 0x0c, `Org ${index}`]], [['2.5.4.3', 0x0c, `n${index}`]]);
    const ca = forgeCertificate({
      issuer: commonName('Root'),
      subject: commonName('CA'),
      subjectKey: caKey,
      issuerKey: rootKey,
      extensions: [
        basicConstraints(true),
        caKeyUsage(),
        nameConstraints(
          [],
          Array.from({ length: N }, (_, index) => directoryName(dn(index + N))),
        ),
      ],
    });
    const leaf = forgeCertificate({
      issuer: commonName('CA'),
      subject: commonName('EE'),
      subjectKey: eeKey,
      issuerKey: caKey,
      extensions: [subjectAltName(...Array.from({ length: N }, (_, index) => directoryName(dn(index))))],
    });
    const result = await validatePath(base(leaf, { intermediates: [parseCertificate(ca)] }));
    expect(result).toMatchObject({ status: 'invalid', decidedBy: { check: 'certificate[0].name-constraints' } });
    expect(result.decidedBy?.reason).toMatch(/name comparisons/);
  });
});

describe('name constraints cannot be side-stepped', () => {
  const constrained = (constraints: Uint8Array) =>
    parseCertificate(
      forgeCertificate({
        issuer: commonName('Root'),
        subject: commonName('CA'),
        subjectKey: caKey,
        issuerKey: rootKey,
        extensions: [basicConstraints(true), caKeyUsage(), constraints],
      }),
    );
  const leafWith = (subject: Uint8Array, extensions: Uint8Array[]) =>
    forgeCertificate({ issuer: commonName('CA'), subject, subjectKey: eeKey, issuerKey: caKey, extensions });
  const outcome = async (ca: ReturnType<typeof parseCertificate>, leaf: Uint8Array) =>
    (await validatePath(base(leaf, { intermediates: [ca] }))).status;

  it('refuses a second subjectAltName extension (RFC 5280 §4.2: one instance per extension)', () => {
    const leaf = leafWith(name(), [
      subjectAltName(dnsName('www.permitted.example')),
      subjectAltName(dnsName('www.bank.example')),
    ]);
    expect(() => parseCertificate(leaf)).toThrow(PkiError);
  });

  it.each([
    ['a trailing dot', dnsName('www.bank.example.')],
    ['a trailing dot on the subtree itself', dnsName('bank.example.')],
    ['upper case', dnsName('WWW.BANK.EXAMPLE')],
    ['a wildcard over the excluded host', dnsName('*.bank.example')],
  ])('an excluded dNSName with %s', async (_label, san) => {
    const ca = constrained(nameConstraints([], [dnsName('bank.example')]));
    expect(await outcome(ca, leafWith(commonName('EE'), [subjectAltName(san)]))).toBe('invalid');
  });

  it('a wildcard is permitted only when every name it stands for is', async () => {
    const ca = constrained(nameConstraints([dnsName('www.example.jp')]));
    expect(await outcome(ca, leafWith(commonName('EE'), [subjectAltName(dnsName('*.example.jp'))]))).toBe('invalid');
    const wide = constrained(nameConstraints([dnsName('example.jp')]));
    expect(await outcome(wide, leafWith(commonName('EE'), [subjectAltName(dnsName('*.example.jp'))]))).toBe('valid');
  });

  it.each([
    ['percent-encoding', 'https://%65vil.example/'],
    ['a trailing dot', 'https://evil.example./'],
    ['a bad port', 'https://evil.example:x/'],
    ['an IPv6 literal', 'https://[::1]/'],
  ])('an excluded URI host written with %s', async (_label, value) => {
    const ca = constrained(nameConstraints([], [uri('evil.example')]));
    expect(await outcome(ca, leafWith(commonName('EE'), [subjectAltName(uri(value))]))).toBe('invalid');
  });

  it('a URI whose host a browser reads after a backslash is not in a permitted subtree', async () => {
    const ca = constrained(nameConstraints([uri('good.example')]));
    const leaf = leafWith(commonName('EE'), [subjectAltName(uri('https://evil.example\\@good.example/'))]);
    expect(await outcome(ca, leaf)).toBe('invalid');
  });

  it.each([
    [
      'domainComponent in other case',
      name([['0.9.2342.19200300.100.1.25', 0x16, 'EXAMPLE']], [['0.9.2342.19200300.100.1.25', 0x16, 'EVIL']]),
    ],
    ['a soft hyphen', name([['2.5.4.10', 0x0c, 'Evil\u00ad Corp']])],
    ['a zero-width space', name([['2.5.4.10', 0x0c, 'Evil\u200b Corp']])],
    ['ß for SS', name([['2.5.4.10', 0x0c, 'Straße']])],
  ])('an excluded directoryName written with %s', async (label, subject) => {
    const excluded = label.startsWith('domainComponent')
      ? name([['0.9.2342.19200300.100.1.25', 0x16, 'example']], [['0.9.2342.19200300.100.1.25', 0x16, 'evil']])
      : label.startsWith('ß')
        ? name([['2.5.4.10', 0x0c, 'STRASSE']])
        : name([['2.5.4.10', 0x0c, 'Evil Corp']]);
    const ca = constrained(nameConstraints([], [directoryName(excluded)]));
    expect(await outcome(ca, leafWith(subject, []))).toBe('invalid');
  });

  it('a 300 KB dNSName is a failed check, not an exception', async () => {
    const ca = constrained(nameConstraints([dnsName('example.jp')]));
    const leaf = leafWith(commonName('EE'), [subjectAltName(dnsName(`${'a'.repeat(300_000)}.example.jp`))]);
    expect(await outcome(ca, leaf)).toBe('invalid');
  });
});

describe('policies must hold along the path', () => {
  it('requiredPolicy is refused when the CA above does not allow it', async () => {
    const ca = forgeCertificate({
      issuer: commonName('Root'),
      subject: commonName('CA'),
      subjectKey: caKey,
      issuerKey: rootKey,
      extensions: [basicConstraints(true), caKeyUsage(), certificatePolicies('1.2.3.4')],
    });
    const leaf = forgeCertificate({
      issuer: commonName('CA'),
      subject: commonName('EE'),
      subjectKey: eeKey,
      issuerKey: caKey,
      extensions: [certificatePolicies('1.2.392.999')],
    });
    expect(
      await validatePath(base(leaf, { intermediates: [parseCertificate(ca)], requiredPolicy: '1.2.392.999' })),
    ).toMatchObject({ status: 'invalid', decidedBy: { check: 'certificate[0].policy' } });
  });
});

describe('unreadable parts are a failed check, not an exception', () => {
  it('a subject whose attribute type is not an OID', async () => {
    const bad = sequence(tlv(0x31, sequence(text(0x0c, 'not an oid'), text(0x0c, 'x'))));
    const leaf = forgeCertificate({ issuer: commonName('Root'), subject: bad, subjectKey: eeKey, issuerKey: rootKey });
    expect(await validatePath(base(leaf))).toMatchObject({ status: 'invalid' });
  });

  it('a 200 KB OID is a typed error', () => {
    const huge = new Uint8Array(200_000).fill(0x81);
    huge[0] = 0x2a;
    huge[huge.length - 1] = 0x01;
    const leaf = forgeCertificate({
      issuer: commonName('Root'),
      subject: commonName('EE'),
      subjectKey: eeKey,
      issuerKey: rootKey,
      extensions: [sequence(tlv(0x06, huge), tlv(0x04, Uint8Array.of(5, 0)))],
    });
    try {
      parseCertificate(leaf);
    } catch (error) {
      expect(error).toBeInstanceOf(PkiError);
    }
  });
});
