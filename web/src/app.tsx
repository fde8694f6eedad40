import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef } from 'react';
import { apiRequest } from './api/client';
import { queryKeys } from './api/keys';
import type { Me } from './api/types';
import { AnchorBanner } from './components/anchor-banner';
import { ProblemAlert } from './components/problem-alert';
import { type Route, useRoute } from './routing';
import { endSession, useApiKey } from './session';
import { ActorsView } from './views/actors/actors';
import { ApprovalDetailView } from './views/approvals/detail';
import { ApprovalsInbox } from './views/approvals/inbox';
import { AuditExplorer } from './views/audit/explorer';
import { CostsView } from './views/costs/costs';
import { Login } from './views/login';

const SECTIONS = [
  { name: 'Approvals', href: '#/approvals', views: ['approvals', 'approval'] },
  { name: 'Audit', href: '#/audit', views: ['audit'] },
  { name: 'Costs', href: '#/costs', views: ['costs'] },
  { name: 'Actors', href: '#/actors', views: ['actors'] },
] as const;

/** The page frame: header, navigation and anchor banner around the signed-in views or the login form. */
export function App() {
  const apiKey = useApiKey();
  const queryClient = useQueryClient();
  useEffect(() => {
    // Nothing one operator loaded may remain on screen for the next one.
    if (apiKey === null) queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== 'health' });
  }, [apiKey, queryClient]);
  return apiKey === null ? (
    <Frame>
      <Login />
    </Frame>
  ) : (
    <SignedIn />
  );
}

function SignedIn() {
  const me = useQuery({ queryKey: queryKeys.me, queryFn: () => apiRequest<Me>('/api/v1/me'), staleTime: Infinity });
  const route = useRoute();
  if (me.data === undefined) {
    return (
      <Frame>
        {me.error === null ? (
          <p>Checking your key…</p>
        ) : (
          <>
            <ProblemAlert error={me.error} context="Could not read your key's scopes" />
            <button type="button" onClick={() => endSession()}>
              Sign out
            </button>
          </>
        )}
      </Frame>
    );
  }
  return (
    <Frame me={me.data} route={route}>
      <RouteView route={route} me={me.data} />
    </Frame>
  );
}

function Frame({ me, route, children }: { me?: Me; route?: Route; children: ReactNode }) {
  const main = useRef<HTMLElement>(null);
  const path = route === undefined ? '' : route.view + ('id' in route ? route.id : '');
  const first = useRef(true);
  useEffect(() => {
    // After navigation, focus moves to the new content so keyboard and screen-reader users start there.
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [path]);
  return (
    <>
      <header className="masthead">
        <span className="brand">AOSIQ</span>
        {route === undefined ? null : <Navigation route={route} />}
        {me === undefined ? null : (
          <div className="identity">
            <span>
              Signed in as <strong>{me.principal}</strong>
            </span>
            <button type="button" onClick={() => endSession()}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <AnchorBanner />
      <main ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

function Navigation({ route }: { route: Route }) {
  return (
    <nav aria-label="Main">
      <ul>
        {SECTIONS.map((section) => (
          <li key={section.name}>
            <a href={section.href} aria-current={(section.views as readonly string[]).includes(route.view) ? 'page' : undefined}>
              {section.name}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function RouteView({ route, me }: { route: Route; me: Me }) {
  switch (route.view) {
    case 'approvals':
      return <ApprovalsInbox />;
    case 'approval':
      return <ApprovalDetailView key={route.id} id={route.id} me={me} />;
    case 'audit':
      return <AuditExplorer />;
    case 'costs':
      return <CostsView />;
    case 'actors':
      return <ActorsView me={me} />;
    case 'missing':
      return (
        <>
          <h1>Page not found</h1>
          <p>
            Nothing lives at <code>{route.hash}</code>. <a href="#/approvals">Go to pending approvals</a>.
          </p>
        </>
      );
  }
}
