/** The wallet's screens, one file each in this folder. */
export type Screen = 'home' | 'add' | 'request' | 'in-person' | 'history' | 'settings';
