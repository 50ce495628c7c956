import { MantineProvider } from '@mantine/core';
import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Decision } from './DecisionParts';
import { DecisionResult } from './DecisionResult';

const decision = {
  application_id: 'app_1',
  external_ref: 'LOS-1',
  score: 43,
  credit_score: 612,
  pd: 0.57,
  decision: 'Reject',
  shap_explanation: ['Low bureau score', 'Recent delinquency', 'High EMI to income ratio'],
  contributions: [
    { feature: 'bureau_score', value: 590, impact: 0.41 },
    { feature: 'foir', value: 0.7, impact: 0.2 },
    { feature: 'inflow_regularity', value: 0.9, impact: -0.15 },
  ],
  base_value: -1.2,
  expected_loss: '102600.00',
  credit_limit: '0',
  model: { id: 'm1', version: 3 },
  policy_version: 2,
  bureau_reports: [
    { bureau: 'cibil', status: 'ok', score: 590 },
    { bureau: 'crif', status: 'error', score: null },
  ],
  created_at: '2026-11-21T10:00:00Z',
} as unknown as Decision;

describe('DecisionResult', () => {
  it('shows score, decision, money, reasons, contributions and bureau pulls', () => {
    render(
      <MantineProvider>
        <DecisionResult decision={decision} />
      </MantineProvider>,
    );
    expect(screen.getByTestId('score-value')).toHaveTextContent('43');
    expect(screen.getByRole('img', { name: 'Score 43 out of 100' })).toBeInTheDocument();
    expect(screen.getByTestId('decision-badge')).toHaveTextContent('Reject');
    expect(screen.getByText('612')).toBeInTheDocument();
    expect(screen.getByText('57.0%')).toBeInTheDocument();
    expect(screen.getByText('₹1,02,600')).toBeInTheDocument();
    expect(
      within(screen.getByTestId('reasons'))
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(decision.shap_explanation);
    // Contributions sorted by magnitude, named for screen readers.
    expect(screen.getByTestId('shap-chart')).toHaveAccessibleName(/bureau_score 0.41, foir 0.2, inflow_regularity -0.15/);
    const pulls = within(screen.getByTestId('bureau-pulls'));
    expect(pulls.getByText('cibil')).toBeInTheDocument();
    expect(pulls.getByText('error')).toBeInTheDocument();
  });
});
