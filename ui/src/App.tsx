import { useEffect, useState } from 'react';
import { api, session } from './api/client';
import { MeContext, type Me } from './api/me';
import { SignIn } from './auth/SignIn';
import { ErrorBanner } from './components/ErrorBanner';
import { consolePages } from './console';
import { designerPages } from './designer';
import type { PageSpec } from './pages';
import { href, useHashRoute } from './router';

export const PAGES: readonly PageSpec[] = [...consolePages, ...designerPages];

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<unknown>();
  const [checking, setChecking] = useState(Boolean(session.key()));
  const route = useHashRoute();

  useEffect(() => {
    const signedOut = () => setMe(null);
    window.addEventListener('cticloud:signed-out', signedOut);
    if (session.key())
      api<Me>('GET', '/v1/me')
        .then(setMe)
        .catch((err: unknown) => setError(err))
        .finally(() => setChecking(false));
    return () => window.removeEventListener('cticloud:signed-out', signedOut);
  }, []);

  if (checking) return <p className="loading">Loading…</p>;
  if (!me)
    return (
      <>
        <ErrorBanner error={error} />
        <SignIn
          onSignedIn={(key, who) => {
            session.signIn(key);
            setError(undefined);
            setMe(who);
          }}
        />
      </>
    );

  const visible = PAGES.filter((p) => p.visible(me));
  const page = visible.find((p) => p.section === route[0]) ?? visible[0];
  return (
    <MeContext.Provider value={me}>
      <header className="top-bar">
        <strong className="brand">CTICloud</strong>
        <nav aria-label="Main">
          {visible.map((p) => (
            <a key={p.section} href={href(p.section)} aria-current={p === page ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <span className="who" title={`key ${me.keyId}`}>
          {me.tenantId} · {me.role}
        </span>
        <button
          type="button"
          onClick={() => {
            session.signOut();
            setMe(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main className="page">
        {page ? page.render(route.slice(1)) : <p>Nothing here for role {me.role}.</p>}
      </main>
    </MeContext.Provider>
  );
}
