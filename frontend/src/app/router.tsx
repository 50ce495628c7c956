import { lazy, Suspense, type ReactNode } from 'react';
import { createBrowserRouter, Navigate, Outlet, useLocation } from 'react-router';
import { RequirePermission } from '@/components/Guards';
import { Loading } from '@/components/StatusPanels';
import { LoginPage } from '@/features/auth/components/LoginPage';
import { useAuth } from '@/lib/auth';
import type { Permission } from '@/lib/authorization';
import { Layout } from './Layout';
import { NAV } from './nav';
import { NotFoundPage } from './NotFoundPage';

const TenantsPage = lazy(() => import('@/features/tenants/components/TenantsPage'));
const UsersPage = lazy(() => import('@/features/users/components/UsersPage'));
const ApiKeysPage = lazy(() => import('@/features/users/components/ApiKeysPage'));
const AuditPage = lazy(() => import('@/features/audit/components/AuditPage'));
const BureausPage = lazy(() => import('@/features/bureaus/components/BureausPage'));
const ScorePage = lazy(() => import('@/features/scoring/components/ScorePage'));
const BatchesPage = lazy(() => import('@/features/batches/components/BatchesPage'));
const ApplicationsPage = lazy(() => import('@/features/applications/components/ApplicationsPage'));
const ApplicationDetailPage = lazy(() => import('@/features/applications/components/ApplicationDetailPage'));
const ModelsPage = lazy(() => import('@/features/models/components/ModelsPage'));
const ModelDetailPage = lazy(() => import('@/features/models/components/ModelDetailPage'));
const PolicyPage = lazy(() => import('@/features/policy/components/PolicyPage'));
const ContactPolicyPage = lazy(() => import('@/features/channels/components/ContactPolicyPage'));
const TemplatesPage = lazy(() => import('@/features/channels/components/TemplatesPage'));
const MessagesPage = lazy(() => import('@/features/channels/components/MessagesPage'));
const ChannelsPage = lazy(() => import('@/features/channels/components/ChannelsPage'));
const BorrowerPage = lazy(() => import('@/features/channels/components/BorrowerPage'));
const MonitoringPage = lazy(() => import('@/features/monitoring/components/MonitoringPage'));
const PortfolioPage = lazy(() => import('@/features/portfolio/components/PortfolioPage'));
const LoanPage = lazy(() => import('@/features/portfolio/components/LoanPage'));
const BorrowerSignInPage = lazy(() => import('@/features/borrowers/components/BorrowerSignInPage'));
const BorrowerAccountsPage = lazy(() => import('@/features/borrowers/components/BorrowerAccountsPage'));

function RequireSession() {
  const { status } = useAuth();
  const location = useLocation();
  if (status === 'restoring') return <Loading label="Restoring your session…" />;
  if (status === 'anonymous') {
    const next = location.pathname + location.search;
    return <Navigate to={`/login${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`} replace />;
  }
  return <Outlet />;
}

/** Home: the first page the user's role may open. */
function Home() {
  const { can } = useAuth();
  // Each role lands where its work is: admins on tenants/users, analysts on monitoring, officers on scoring.
  const preferred = ['/tenants', '/monitoring', '/score', '/users', '/audit'];
  const allowed = NAV.filter((item) => can(item.need));
  const first = preferred.map((p) => allowed.find((i) => i.path === p)).find(Boolean) ?? allowed[0];
  return first ? <Navigate to={first.path} replace /> : <NotFoundPage message="Your role has no pages in the portal." />;
}

function guarded(need: Permission | readonly Permission[], what: string, page: ReactNode) {
  return (
    <RequirePermission need={need} what={what}>
      {page}
    </RequirePermission>
  );
}

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  // The borrower's own pages: a realm of their own (sign-in by code), outside the staff layout.
  { path: '/borrower/sign-in', element: <Suspense fallback={<Loading />}>{<BorrowerSignInPage />}</Suspense> },
  { path: '/borrower', element: <Suspense fallback={<Loading />}>{<BorrowerAccountsPage />}</Suspense> },
  {
    element: <RequireSession />,
    children: [
      {
        element: <Layout />,
        children: [
          { index: true, element: <Home /> },
          { path: 'tenants', element: guarded('tenants:manage', 'Tenant management', <TenantsPage />) },
          { path: 'users', element: guarded('users:read', 'User management', <UsersPage />) },
          { path: 'api-keys', element: guarded('api_keys:manage', 'API key management', <ApiKeysPage />) },
          { path: 'audit', element: guarded(['audit:read', 'ops:manage'], 'The audit log', <AuditPage />) },
          { path: 'bureaus', element: guarded('bureaus:read', 'Bureau configuration', <BureausPage />) },
          { path: 'score', element: guarded('applications:create', 'Scoring', <ScorePage />) },
          { path: 'batches', element: guarded('batches:create', 'Batch scoring', <BatchesPage />) },
          { path: 'applications', element: guarded(['applications:read', 'applications:read_own'], 'Applications', <ApplicationsPage />) },
          {
            path: 'applications/:id',
            element: guarded(['applications:read', 'applications:read_own'], 'Applications', <ApplicationDetailPage />),
          },
          { path: 'models', element: guarded('models:read', 'Model configuration', <ModelsPage />) },
          { path: 'models/:id', element: guarded('models:read', 'Model configuration', <ModelDetailPage />) },
          { path: 'policy', element: guarded('policy:read', 'Policy configuration', <PolicyPage />) },
          { path: 'contact-policy', element: guarded('channels:read', 'The contact policy', <ContactPolicyPage />) },
          { path: 'templates', element: guarded('channels:read', 'Message templates', <TemplatesPage />) },
          { path: 'messages', element: guarded('channels:read', 'The message log', <MessagesPage />) },
          { path: 'channels', element: guarded('channels:read', 'Channel settings', <ChannelsPage />) },
          { path: 'borrowers/:id', element: guarded('channels:read', 'Borrowers', <BorrowerPage />) },
          { path: 'monitoring', element: guarded('monitoring:read', 'Monitoring', <MonitoringPage />) },
          { path: 'portfolio', element: guarded('portfolio:read', 'The portfolio', <PortfolioPage />) },
          { path: 'loans/:id', element: guarded('portfolio:read', 'Loans', <LoanPage />) },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);
