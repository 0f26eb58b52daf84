import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import pkcs11js from 'pkcs11js';

import { KeyCustodyError } from './errors.js';
import { redactPkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.js';

/** A loaded PKCS#11 module, shared by every custody of the process that uses it (C_Initialize runs once). */
interface LoadedModule {
  readonly library: pkcs11js.PKCS11;
  users: number;
  /** Per slot, the digest of the PIN that logged in: PKCS#11 login is per application, not per session. */
  readonly loggedIn: Map<string, string>;
}

const modules = new Map<string, LoadedModule>();

/** The PKCS#11 return value's name (`CKR_PIN_INCORRECT`), or undefined for other errors. */
export function pkcs11ReturnValue(error: unknown): string | undefined {
  return error instanceof Error && /^CKR_\w+$/.test(error.message) ? error.message : undefined;
}

function initialize(library: pkcs11js.PKCS11): void {
  try {
    library.C_Initialize();
  } catch (error) {
    // The library is loaded once per process (dlopen): another loader of this process initialised it already.
    if (pkcs11ReturnValue(error) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') throw error;
  }
}

function loadModule(path: string): LoadedModule {
  const known = modules.get(path);
  if (known) {
    known.users += 1;
    return known;
  }
  const library = new pkcs11js.PKCS11();
  try {
    library.load(path);
    initialize(library);
  } catch (error) {
    throw new KeyCustodyError(
      'ERR_KEY_CUSTODY_MODULE',
      `could not load the PKCS#11 module ${path} (${pkcs11ReturnValue(error) ?? 'not a loadable library'})`,
      { cause: error },
    );
  }
  const loaded: LoadedModule = { library, users: 1, loggedIn: new Map() };
  modules.set(path, loaded);
  return loaded;
}

function releaseModule(path: string): void {
  const loaded = modules.get(path);
  if (!loaded) return;
  loaded.users -= 1;
  if (loaded.users > 0) return;
  modules.delete(path);
  loaded.library.C_Finalize();
  loaded.library.close();
}

const slotId = (slot: pkcs11js.Handle): bigint =>
  slot.length >= 8 ? slot.readBigUInt64LE(0) : BigInt(slot.readUInt32LE(0));

const trimmed = (text: string) => text.replace(/[\s\0]+$/, '');

function findSlot(library: pkcs11js.PKCS11, uri: Pkcs11Uri, printable: string): pkcs11js.Handle {
  const matches = library.C_GetSlotList(true).filter((slot) => {
    // RFC 7512 §2.3: slot-id is the CK_SLOT_ID (a CK_ULONG, as wide as the handle), never a position in the list.
    if (uri.slotId !== undefined && slotId(slot) !== BigInt(uri.slotId)) return false;
    const info = library.C_GetTokenInfo(slot);
    const { label, manufacturer, serial, model } = uri.token;
    return (
      (label === undefined || trimmed(info.label) === label) &&
      (manufacturer === undefined || trimmed(info.manufacturerID) === manufacturer) &&
      (serial === undefined || trimmed(info.serialNumber) === serial) &&
      (model === undefined || trimmed(info.model) === model)
    );
  });
  const [slot, other] = matches;
  if (!slot) throw new KeyCustodyError('ERR_KEY_CUSTODY_TOKEN', `no PKCS#11 token matches ${printable}`);
  if (other) throw new KeyCustodyError('ERR_KEY_CUSTODY_TOKEN', `more than one PKCS#11 token matches ${printable}`);
  return slot;
}

/** The user PIN: given, else `pin-value`, else the `pin-source` file, else OPENMYNA_PKCS11_PIN. */
async function userPin(uri: Pkcs11Uri, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  if (uri.pinValue !== undefined) return uri.pinValue;
  if (uri.pinSource !== undefined) {
    return readPinSource(uri.pinSource.startsWith('file:') ? fileURLToPath(uri.pinSource) : uri.pinSource);
  }
  const fromEnvironment = process.env['OPENMYNA_PKCS11_PIN'];
  if (fromEnvironment) return fromEnvironment;
  throw new KeyCustodyError(
    'ERR_KEY_CUSTODY_PIN',
    'no PKCS#11 PIN: give pin-source=<file> in the URI or set OPENMYNA_PKCS11_PIN',
  );
}

/**
 * The PIN in a `pin-source` file, which only its owner may read or write (as ssh wants of a private
 * key): a PIN other users can read is as good as published.
 */
async function readPinSource(path: string): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new KeyCustodyError('ERR_KEY_CUSTODY_PIN', `could not read the PIN from pin-source ${path}`, {
      cause: error,
    });
  }
  try {
    const { mode } = await handle.stat();
    if ((mode & 0o077) !== 0)
      throw new KeyCustodyError(
        'ERR_KEY_CUSTODY_PIN',
        `pin-source ${path} can be read or written by other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): chmod 600 it`,
      );
    return (await handle.readFile('utf8')).replace(/\r?\n$/, '');
  } finally {
    await handle.close();
  }
}

function logIn(loaded: LoadedModule, session: pkcs11js.Handle, slot: pkcs11js.Handle, pin: string): void {
  const slotKey = slot.toString('hex');
  const digest = createHash('sha256').update(pin).digest('hex');
  try {
    loaded.library.C_Login(session, pkcs11js.CKU_USER, pin);
    loaded.loggedIn.set(slotKey, digest);
  } catch (error) {
    const code = pkcs11ReturnValue(error);
    // Another custody of this process logged in to the token already: the PIN must be the one that did.
    if (code === 'CKR_USER_ALREADY_LOGGED_IN' && loaded.loggedIn.get(slotKey) === digest) return;
    throw new KeyCustodyError(
      'ERR_KEY_CUSTODY_PIN',
      `the PKCS#11 token refused the user PIN (${code === 'CKR_USER_ALREADY_LOGGED_IN' ? 'CKR_PIN_INCORRECT' : (code ?? 'C_Login failed')})`,
      { cause: error },
    );
  }
}

/** A logged-in read-write session on one token. */
export interface Pkcs11Session {
  readonly library: pkcs11js.PKCS11;
  readonly handle: pkcs11js.Handle;
  close(): void;
}

/** Loads the module, finds the one token the URI names, opens a session and logs in as the user. */
export async function openPkcs11Session(
  uri: Pkcs11Uri,
  options: { readonly uriText: string; readonly modulePath?: string; readonly pin?: string },
): Promise<Pkcs11Session> {
  const printable = redactPkcs11Uri(options.uriText);
  const modulePath = options.modulePath ?? uri.modulePath ?? process.env['OPENMYNA_PKCS11_MODULE'];
  if (!modulePath)
    throw new KeyCustodyError(
      'ERR_KEY_CUSTODY_MODULE',
      'no PKCS#11 module: give module-path= in the URI or set OPENMYNA_PKCS11_MODULE',
    );
  const pin = await userPin(uri, options.pin);
  const loaded = loadModule(modulePath);
  let handle: pkcs11js.Handle | undefined;
  try {
    const slot = findSlot(loaded.library, uri, printable);
    handle = loaded.library.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    logIn(loaded, handle, slot, pin);
  } catch (error) {
    if (handle) loaded.library.C_CloseSession(handle);
    releaseModule(modulePath);
    throw error;
  }
  const opened = handle;
  let closed = false;
  return {
    library: loaded.library,
    handle: opened,
    close: () => {
      if (closed) return;
      closed = true;
      loaded.library.C_CloseSession(opened);
      releaseModule(modulePath);
    },
  };
}
