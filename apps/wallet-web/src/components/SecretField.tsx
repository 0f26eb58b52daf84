/** A PIN or password input: never autocompleted, a numeric keypad for digits. */
export function SecretField(props: {
  readonly label: string;
  readonly name: string;
  readonly numeric: boolean;
  readonly value: string;
  readonly onChange: (value: string) => void;
}) {
  return (
    <label>
      {props.label}
      <input
        type="password"
        name={props.name}
        autoComplete="off"
        inputMode={props.numeric ? 'numeric' : 'text'}
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </label>
  );
}
