export { AddCard } from './AddCard.js';
export { History } from './History.js';
export { Home } from './Home.js';
export { InPerson } from './InPerson.js';
export { OpenRequest } from './OpenRequest.js';
export { Settings } from './Settings.js';
export type { Screen } from './screen.js';
