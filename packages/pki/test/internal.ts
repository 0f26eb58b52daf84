// Internal functions under test that the public entry does not export. Tests may reach into the
// package's own sources; other packages may not (see the lint rule on deep imports).
export { readTime } from '../src/der-reader.js';
export { parsedCertificateCount, PARSED_CERTIFICATES_KEPT, readCertificate } from '../src/x509-certificate.js';
export { assertDer } from '../src/der.js';
export { certificatePolicyOids, decodeObjectIdentifier } from '../src/object-identifier.js';
export { hasUnsupportedCriticalExtension } from '../src/x509-crl.js';
