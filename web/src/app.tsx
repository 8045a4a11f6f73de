import { lazy, Suspense } from 'react';
import { Link, Redirect, Route, Router, Switch, useRoute } from 'wouter';
import { Loading } from './components/ui';
import { LoginPage } from './pages/login';
import { useSession, useSessionControl } from './session';

const OverviewPage = lazy(() => import('./pages/overview'));
const InstancesPage = lazy(() => import('./pages/instances'));
const CreateInstancePage = lazy(() => import('./pages/create-instance'));
const InstancePage = lazy(() => import('./pages/instance'));
const ActivityPage = lazy(() => import('./pages/activity'));
const LinkPage = lazy(() => import('./pages/link'));
const InboxPage = lazy(() => import('./pages/inbox'));
const DeliveriesPage = lazy(() => import('./pages/deliveries'));
const DeliveryPage = lazy(() => import('./pages/delivery'));

/** The dashboard at /dashboard: the login page until there is a session, then the pages. */
export function App() {
  const { session } = useSessionControl();
  return <Router base="/dashboard">{session ? <Shell /> : <LoginPage />}</Router>;
}

function NavLink({ href, children }: { href: string; children: string }) {
  const [exact] = useRoute(href);
  const [nested] = useRoute(`${href}/*?`);
  const active = href === '/' ? exact : nested;
  return (
    <Link href={href} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

function Shell() {
  const { user, logout, isAdmin } = useSession();
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Switchboard</span>
        <nav aria-label="Main">
          <NavLink href="/">Overview</NavLink>
          <NavLink href="/instances">Instances</NavLink>
          <NavLink href="/inbox">Inbox</NavLink>
          <NavLink href="/deliveries">Deliveries</NavLink>
        </nav>
        <div className="who">
          <span title={user.email}>
            {user.email}
            {isAdmin ? ' (admin)' : ''}
          </span>
          <button type="button" className="secondary" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <main id="main">
        <Suspense fallback={<Loading />}>
          <Switch>
            <Route path="/" component={OverviewPage} />
            <Route path="/instances" component={InstancesPage} />
            <Route path="/instances/new" component={CreateInstancePage} />
            <Route path="/instances/:id/activity" component={ActivityPage} />
            <Route path="/instances/:id/link" component={LinkPage} />
            <Route path="/instances/:id" component={InstancePage} />
            <Route path="/inbox" component={InboxPage} />
            <Route path="/inbox/:instanceId/:chatId" component={InboxPage} />
            <Route path="/deliveries" component={DeliveriesPage} />
            <Route path="/deliveries/:id" component={DeliveryPage} />
            <Route>
              <Redirect to="/" />
            </Route>
          </Switch>
        </Suspense>
      </main>
    </>
  );
}
