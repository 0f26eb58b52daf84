// Internal functions under test that the public entry does not export. Tests may reach into the
// package's own sources; other packages may not (see the lint rule on deep imports).
export { coseVerificationProblem } from '../src/cose.js';
