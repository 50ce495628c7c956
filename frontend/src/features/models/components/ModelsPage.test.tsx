import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { mockApi } from '@/testing/api-mock';
import { renderWithApp } from '@/testing/render';
import type { ModelSummary } from '../api/list-models';
import ModelsPage from './ModelsPage';

const ANALYST = {
  id: 'u3',
  email: 'analyst@demo-nbfc.example',
  name: 'Risk Analyst',
  role: 'risk_analyst',
  tenant: 'demo-nbfc',
  permissions: ['models:read'],
};
const URL = '/api/v1/tenants/demo-nbfc/models';

const model = (version: number, status: string, metrics: Record<string, unknown>): ModelSummary => ({
  id: `m${version}`,
  name: 'default-risk',
  version,
  status,
  algorithm: 'lightgbm',
  feature_set: 'v1',
  dataset: null,
  target: 'default',
  metrics,
  platform_default: false,
  promoted_at: null,
  traffic: 0,
  created_at: `2026-11-0${version}T10:00:00Z`,
});

function server(models: { status?: number; body?: unknown }) {
  return mockApi({
    'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
    'GET /api/v1/auth/me': { body: ANALYST },
    [`GET ${URL}`]: models,
  });
}

describe('ModelsPage', () => {
  it('lists the registry newest version first with its metrics and links to each card', async () => {
    server({
      body: { items: [model(1, 'retired', { auc: 0.71 }), model(3, 'champion', { auc: 0.8123, gini: 0.6246 }), model(2, 'draft', {})] },
    });
    renderWithApp(<ModelsPage />);
    const table = await screen.findByRole('table', { name: 'Model registry' });
    const headers = within(table)
      .getAllByRole('columnheader')
      .map((th) => th.textContent);
    expect(headers).toEqual(['Version', 'Status', 'Algorithm', 'AUC', 'Gini', 'KS', 'Brier', 'Created']);
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getByRole('link').textContent)).toEqual(['v3', 'v2', 'v1']);
    expect(within(rows[0]!).getByRole('link')).toHaveAttribute('href', '/models/m3');
    expect(rows[0]).toHaveTextContent('champion');
    expect(rows[0]).toHaveTextContent('0.812');
    expect(rows[0]).toHaveTextContent('0.625');
    expect(rows[1]).toHaveTextContent('—');
  });

  it('says so when the registry is empty', async () => {
    server({ body: { items: [] } });
    renderWithApp(<ModelsPage />);
    expect(await screen.findByText('No models yet')).toBeInTheDocument();
    expect(screen.queryByRole('table', { name: 'Model registry' })).not.toBeInTheDocument();
  });

  it('shows the error when the registry cannot be read', async () => {
    server({ status: 500, body: { error: 'InternalError', detail: 'The registry is unavailable', request_id: 'r1' } });
    renderWithApp(<ModelsPage />);
    expect(await screen.findByText('The registry is unavailable')).toBeInTheDocument();
  });
});
