import { validateMyNumber } from '@openmyna/core';
import type { Command } from 'commander';

import { EXIT, readAll, type CliIo } from '../io.js';

/** `openmyna mynumber check <digits>` */
export function registerMyNumberCommands(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const myNumber = program.command('mynumber').description('個人番号 (My Number) tools');
  myNumber
    .command('check')
    .description('check a 12-digit 個人番号 and its check digit (exit 0 valid, 1 invalid)')
    .argument('<digits>', 'the 12 digits, or "-" to read them from standard input (keeps them out of shell history)')
    .addHelpText(
      'after',
      '\nThe number is never echoed back. Examples:\n  openmyna mynumber check 123456789018\n  printf %s 123456789018 | openmyna mynumber check -',
    )
    .action(async (digits: string) => {
      const input = digits === '-' ? (await readAll(io.stdin)).trim() : digits;
      const result = validateMyNumber(input);
      if (result.valid) {
        io.stdout.write('valid: the 個人番号 has 12 digits and a correct check digit\n');
        setExitCode(EXIT.ok);
      } else {
        io.stderr.write(`invalid (${result.code}): ${result.reason}\n`);
        setExitCode(EXIT.invalid);
      }
    });
}
