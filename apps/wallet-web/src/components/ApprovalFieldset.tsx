import type { ApprovalField } from '@openmyna/wallet';

import { useMessages } from '../i18n.js';
import { SecretField } from './SecretField.js';

/** The PIN fields of an approval: one shared 4-digit PIN, or one per applet, and the signing password. */
export function ApprovalFieldset(props: {
  readonly fields: readonly ApprovalField[];
  readonly values: Partial<Record<ApprovalField, string>>;
  readonly onChange: (values: Partial<Record<ApprovalField, string>>) => void;
}) {
  const t = useMessages();
  return (
    <>
      {props.fields.map((field) => (
        <SecretField
          key={field}
          label={t[field]}
          name={field}
          numeric={field !== 'signingPassword'}
          value={props.values[field] ?? ''}
          onChange={(value) => props.onChange({ ...props.values, [field]: value })}
        />
      ))}
    </>
  );
}
