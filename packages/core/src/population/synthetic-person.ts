import { padDigits } from '../ascii.js';
import {
  ageOn,
  calendarDate,
  type CalendarDate,
  epochDay,
  formatIsoDate,
  fromEpochDay,
  parseIsoDate,
} from '../calendar-date.js';
import { CoreError } from '../errors.js';
import { completeMyNumber, type MyNumber } from '../my-number.js';
import type { MunicipalityCode } from '../municipality-code.js';
import { SeededRandom, WeightedChoice } from '../random.js';
import type { SexCode } from '../sex.js';
import type { BasicFourInfo } from '../basic-four-info.js';
import { FAMILY_NAMES } from './family-names.js';
import { GIVEN_NAME_GENERATIONS, type GivenName } from './given-names.js';
import { IndexPermutation } from './index-permutation.js';
import { BUILDING_NAMES, MUNICIPALITIES, PREFECTURES, TOWN_NAMES } from './municipalities.js';
import { computeResidentCodeCheckDigit } from './resident-code.js';

/** One synthetic resident as the registry (住民基本台帳) would hold them. Never a real person. */
export interface SyntheticPerson {
  /** `P` + the 0-based index in the population, zero-padded to 7 digits. */
  readonly id: string;
  readonly index: number;
  /** 氏名: family and given name separated by U+3000. */
  readonly name: string;
  /** The reading of the name in katakana (フリガナ), separated the same way. */
  readonly nameKana: string;
  /** 住所, full-width. */
  readonly address: string;
  /** 生年月日 as `YYYY-MM-DD`. */
  readonly birthDate: string;
  /** 性別 (ISO 5218). */
  readonly sex: SexCode;
  /** 個人番号, unique within the population. */
  readonly myNumber: MyNumber;
  /** 住民票コード (11 digits), unique within the population. */
  readonly residentCode: string;
  readonly municipalityCode: MunicipalityCode;
  readonly prefecture: string;
  readonly municipality: string;
  /** The seed of the person's face photo; see {@link renderFacePhoto}. */
  readonly faceSeed: number;
}

/** Options of {@link generatePopulation} and {@link generatePerson}. */
export interface PopulationOptions {
  readonly seed: string | number;
  /**
   * The day the population is "as of": birth dates fall up to this day and ages are counted on it.
   * Defaults to {@link DEFAULT_POPULATION_DATE} so that a seed alone fixes the output.
   */
  readonly asOf?: CalendarDate;
}

/** The default reference day of a synthetic population. */
export const DEFAULT_POPULATION_DATE: CalendarDate = calendarDate(2025, 4, 1);

/** Ages in 5-year bands and their share of Japan's population (millions, 2020 census, rounded). */
const AGE_BANDS: readonly (readonly [fromAge: number, weight: number])[] = [
  [0, 4.5],
  [5, 5.0],
  [10, 5.3],
  [15, 5.6],
  [20, 6.3],
  [25, 6.3],
  [30, 6.8],
  [35, 7.6],
  [40, 8.5],
  [45, 9.8],
  [50, 8.7],
  [55, 7.9],
  [60, 7.4],
  [65, 8.3],
  [70, 9.1],
  [75, 7.0],
  [80, 5.4],
  [85, 3.7],
  [90, 1.8],
  [95, 0.5],
  [100, 0.08],
  [105, 0.01],
  [110, 0.01],
];
const OLDEST_AGE = 114;

const MY_NUMBER_DOMAIN = 100_000_000_000;
const RESIDENT_CODE_DOMAIN = 10_000_000_000;

/** Everything derived once from a seed and shared by every person of the population. */
class PopulationContext {
  readonly root: SeededRandom;
  readonly asOf: CalendarDate;
  readonly myNumbers: IndexPermutation;
  readonly residentCodes: IndexPermutation;

  constructor(options: PopulationOptions) {
    this.root = SeededRandom.fromSeed(options.seed);
    this.asOf = options.asOf ?? DEFAULT_POPULATION_DATE;
    this.myNumbers = new IndexPermutation(MY_NUMBER_DOMAIN, this.root.derive(-1));
    this.residentCodes = new IndexPermutation(RESIDENT_CODE_DOMAIN, this.root.derive(-2));
  }
}

const familyNames = new WeightedChoice(FAMILY_NAMES.map(([kanji, kana, weight]) => [[kanji, kana] as const, weight]));
const municipalities = new WeightedChoice(
  MUNICIPALITIES.map(([code, name, weight]) => [[code, name] as const, weight]),
);
const ageBands = new WeightedChoice(AGE_BANDS.map(([from, weight]) => [from, weight]));

/**
 * The persons of a seeded synthetic population, generated one at a time (memory stays flat for
 * any count). The same seed and `asOf` always give the same persons in the same order; My Numbers
 * and 住民票コード never repeat within a population.
 *
 * @example
 * ```ts
 * for (const person of generatePopulation({ seed: 'demo' }, 1000)) console.log(person.name);
 * ```
 */
export function* generatePopulation(options: PopulationOptions, count: number, start = 0): Generator<SyntheticPerson> {
  if (!Number.isSafeInteger(count) || count < 0 || !Number.isSafeInteger(start) || start < 0) {
    throw new CoreError('ERR_POPULATION_OPTIONS', 'count and start must be non-negative integers');
  }
  if (start + count > RESIDENT_CODE_DOMAIN) {
    throw new CoreError('ERR_POPULATION_OPTIONS', `a population has at most ${RESIDENT_CODE_DOMAIN} persons`);
  }
  const context = new PopulationContext(options);
  for (let index = start; index < start + count; index++) yield createPerson(context, index);
}

/** Person number `index` of the population with these options (the same as the population's). */
export function generatePerson(options: PopulationOptions, index: number): SyntheticPerson {
  const [person] = generatePopulation(options, 1, index);
  return person as SyntheticPerson;
}

/** The 基本4情報 of a synthetic person. */
export function basicFourInfoOf(person: SyntheticPerson): BasicFourInfo {
  return { name: person.name, address: person.address, birthDate: parseIsoDate(person.birthDate), sex: person.sex };
}

function createPerson(context: PopulationContext, index: number): SyntheticPerson {
  const random = context.root.derive(index);
  const sex: SexCode = random.chance(0.486) ? '1' : '2';
  const birthDate = drawBirthDate(random, context.asOf);
  const [familyKanji, familyKana] = familyNames.pick(random);
  const [givenKanji, givenKana] = drawGivenName(random, sex, birthDate.year);
  const [code, municipality] = municipalities.pick(random);
  const prefecture = PREFECTURES[Number(code.slice(0, 2)) - 1] as string;
  const myNumberBody = padDigits(context.myNumbers.apply(index), 11);
  const residentBody = padDigits(context.residentCodes.apply(index), 10);
  return {
    id: `P${padDigits(index, 7)}`,
    index,
    name: `${familyKanji}\u3000${givenKanji}`,
    nameKana: `${familyKana}\u3000${givenKana}`,
    address: prefecture + municipality + drawStreetAddress(random),
    birthDate: formatIsoDate(birthDate),
    sex,
    myNumber: completeMyNumber(myNumberBody),
    residentCode: residentBody + String(computeResidentCodeCheckDigit(residentBody)),
    municipalityCode: code as MunicipalityCode,
    prefecture,
    municipality,
    faceSeed: random.integer(0, 0x7fffffff),
  };
}

function drawBirthDate(random: SeededRandom, asOf: CalendarDate): CalendarDate {
  const fromAge = ageBands.pick(random);
  const age = Math.min(fromAge + random.integer(0, 4), OLDEST_AGE);
  // About `age` years before `asOf`, spread over the year before that day.
  const latest = epochDay(asOf) - Math.round(age * 365.2425);
  const date = fromEpochDay(latest - random.integer(0, 364));
  return ageOn(date, asOf) > OLDEST_AGE ? fromEpochDay(latest) : date;
}

function drawGivenName(random: SeededRandom, sex: SexCode, birthYear: number): GivenName {
  let generation = GIVEN_NAME_GENERATIONS[0];
  for (const candidate of GIVEN_NAME_GENERATIONS) if (birthYear >= candidate.from) generation = candidate;
  return random.pick(sex === '1' ? generation!.male : generation!.female);
}

function drawStreetAddress(random: SeededRandom): string {
  const town = random.pick(TOWN_NAMES);
  const block = `${random.integer(1, 5)}－${random.integer(1, 30)}－${random.integer(1, 25)}`;
  let address = town + block;
  if (random.chance(0.35))
    address += `　${random.pick(BUILDING_NAMES)}${random.integer(1, 9)}${padDigits(random.integer(1, 12), 2)}`;
  return toFullWidthDigits(address);
}

function toFullWidthDigits(text: string): string {
  return text.replace(/[0-9]/g, (digit) => String.fromCharCode(digit.charCodeAt(0) + 0xfee0));
}
