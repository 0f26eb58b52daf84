// `npm run bench [-- filter]`: runs the benchmarks whose name contains the filter (all by default).
// Every figure is printed with a baseline measured in the same run; compare ratios, not raw rates.
import { benchCapacity } from './capacity.bench.js';
import { benchCardKeySignature, benchCardRead, benchVpcdRoundTrips } from './card.bench.js';
import { benchIssuerOcsp, benchProvisioning } from './issuer.bench.js';
import { benchMdocVerification, benchSessionEncryption } from './mdoc.bench.js';
import { benchMyNumber, benchPopulation, benchPopulationMemory, benchTlv } from './core.bench.js';
import { benchOidcLogin } from './oidc.bench.js';
import { benchJpkiVerification, benchLargeCrl, benchOcspHttp, benchOcspSigning } from './pki.bench.js';
import { benchAccountOpening } from './rp-demo.bench.js';
import { benchVerifier } from './verifier.bench.js';
import { benchWallet } from './wallet.bench.js';

const BENCHMARKS: Record<string, () => unknown> = {
  'core/population': benchPopulation,
  'core/population-memory': benchPopulationMemory,
  'core/my-number': benchMyNumber,
  'core/tlv': benchTlv,
  'pki/jpki-verification': benchJpkiVerification,
  'pki/ocsp-signing': benchOcspSigning,
  'pki/ocsp-http': benchOcspHttp,
  'pki/crl-1m': benchLargeCrl,
  'card/key-signature': benchCardKeySignature,
  'card/full-read': benchCardRead,
  'card/vpcd-round-trips': benchVpcdRoundTrips,
  'mdoc/verification': benchMdocVerification,
  'mdoc/session-encryption': benchSessionEncryption,
  'issuer/provisioning': benchProvisioning,
  'issuer/ocsp-http': benchIssuerOcsp,
  'verifier/end-to-end': benchVerifier,
  'wallet/approval-to-response': benchWallet,
  'rp-demo/account-opening': benchAccountOpening,
  'oidc/login': benchOidcLogin,
  // Long (a registry of 10 million persons in PostgreSQL): runs only when asked for by name.
  capacity: benchCapacity,
};

// `npm run bench -- capacity --persons 1e6`: the arguments after the filter belong to that benchmark.
const filter = process.argv[2] ?? '';
console.log(`openmyna benchmarks on Node ${process.version} (${filter ? `filter "${filter}"` : 'all'})`);
for (const [name, run] of Object.entries(BENCHMARKS)) {
  if (name.includes(filter) && (name !== 'capacity' || filter === 'capacity')) await run();
}
