export { OpenMynaError, CoreError, type CoreErrorCode } from './errors.js';
export { bytesToBinaryString, constantTimeEqual } from './bytes.js';
export {
  base64Decode,
  base64Encode,
  base64NoPadDecode,
  base64UrlDecode,
  base64UrlEncode,
  base64UrlPaddedDecode,
} from './base64.js';
export {
  computeMyNumberCheckDigit,
  completeMyNumber,
  generateMyNumber,
  containsMyNumberToken,
  isValidMyNumber,
  parseMyNumber,
  validateMyNumber,
  type MyNumber,
  type MyNumberValidation,
} from './my-number.js';
export {
  addDays,
  ageOn,
  anniversaryIn,
  calendarDate,
  calendarDateInJapan,
  compareDates,
  daysInMonth,
  endOfDayInJapan,
  epochDay,
  formatCardDate,
  formatIsoDate,
  fromEpochDay,
  isLeapYear,
  parseCardDate,
  parseIsoDate,
  startOfDayInJapan,
  type CalendarDate,
} from './calendar-date.js';
export {
  ERAS,
  eraOf,
  findEra,
  formatJpkiBirthDate,
  formatWareki,
  formatWarekiYymmdd,
  fromWareki,
  parseJpkiBirthDate,
  parseWarekiYymmdd,
  toWareki,
  type Era,
  type JpkiBirthDate,
  type WarekiDate,
} from './era.js';
export {
  computeMunicipalityCheckDigit,
  parseMunicipalityCode,
  prefectureOf,
  toSixDigitMunicipalityCode,
  type MunicipalityCode,
} from './municipality-code.js';
export { cardExpiryDate, certificateNotAfter, nthBirthdayAfter, type CertificateValidityInput } from './expiry.js';
export { parseSexCode, SEX_CODES, type SexCode } from './sex.js';
export {
  joinName,
  MAX_ADDRESS_LENGTH,
  MAX_NAME_LENGTH,
  splitName,
  validateAddress,
  validateBasicFourInfo,
  validateName,
  type BasicFourInfo,
  type NameParts,
} from './basic-four-info.js';
export {
  decodeTlv,
  decodeTlvChildren,
  decodeTlvRecord,
  decodeTlvSequence,
  encodeLength,
  encodeTag,
  encodeTlv,
  findTlv,
  formatTag,
  type TlvObject,
} from './ber-tlv.js';
export { SeededRandom, WeightedChoice } from './random.js';
export {
  basicFourInfoOf,
  DEFAULT_POPULATION_DATE,
  generatePerson,
  generatePopulation,
  type PopulationOptions,
  type SyntheticPerson,
} from './population/synthetic-person.js';
export { computeResidentCodeCheckDigit, validateResidentCodeFormat } from './population/resident-code.js';
export { FACE_PHOTO_HEIGHT, FACE_PHOTO_WIDTH, renderFacePhoto, type FaceFeatures } from './population/face-photo.js';
export { placeOfMunicipality } from './population/municipalities.js';
export { formatJapanDate, formatJapanTime, type DisplayLanguage } from './japan-time.js';
