import { errorMessage } from '../api/client';

/** The API's own message (it names the field), shown where the action was taken. */
export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <div role="alert" className="error-banner">
      <span>{errorMessage(error)}</span>
      {onDismiss && (
        <button type="button" aria-label="Dismiss error" onClick={onDismiss}>
          ×
        </button>
      )}
    </div>
  );
}
