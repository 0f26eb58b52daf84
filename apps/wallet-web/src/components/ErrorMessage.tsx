/** An error shown where it happened, announced to assistive technology. */
export function ErrorMessage(props: { readonly text: string | undefined; readonly testId?: string }) {
  if (!props.text) return null;
  return (
    <p className="error" role="alert" {...(props.testId ? { 'data-testid': props.testId } : {})}>
      {props.text}
    </p>
  );
}
