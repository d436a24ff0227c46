import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { Me } from '../api/me';
import { ErrorBanner } from '../components/ErrorBanner';

/** Signs in with an API key: checked against GET /v1/me, then kept in session storage only. */
export function SignIn({ onSignedIn }: { onSignedIn: (key: string, me: Me) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const me = await api<Me>('GET', '/v1/me', undefined, key.trim());
      onSignedIn(key.trim(), me);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <form onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <h1>CTICloud</h1>
        <p>Sign in with an API key. It stays in this tab only (session storage).</p>
        <label>
          API key
          <input
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="cti_…"
            required
          />
        </label>
        <button type="submit" disabled={busy || !key.trim()}>
          Sign in
        </button>
        <ErrorBanner error={error} />
      </form>
    </main>
  );
}
