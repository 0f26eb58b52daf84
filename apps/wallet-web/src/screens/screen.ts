/** The wallet's screens, one file each in this folder. */
export type Screen = 'home' | 'add' | 'request' | 'scan' | 'in-person' | 'history' | 'settings';
