import { MantineProvider } from '@mantine/core';
import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Decision } from './DecisionParts';
import { DecisionResult } from './DecisionResult';

const decision: Decision = {
  application_id: 'app_1',
  external_ref: 'LOS-1',
  score: 43,
  credit_score: 612,
  pd: 0.57,
  decision: 'Reject',
  shap_explanation: ['Low bureau score', 'Recent delinquency', 'High EMI to income ratio'],
  contributions: [
    { feature: 'bureau_score', label: 'Bureau score', value: 590, impact: 0.41 },
    { feature: 'foir', label: 'EMIs to income (FOIR)', value: 0.7, impact: 0.2 },
    { feature: 'alt_inflow_regularity', value: 0.9, impact: -0.15 },
  ],
  adverse_reasons: [
    { feature: 'bureau_score', label: 'Bureau score', reason: 'Low bureau score', impact: 0.9, value: 590 },
    { feature: 'foir', label: 'EMIs to income (FOIR)', reason: 'High EMI to income ratio', impact: 0.3, value: 0.7 },
  ],
  bureau_status: 'pulled',
  inputs: {
    applicant: { name: 'Asha Verma', date_of_birth: '1998-04-12', monthly_income: 65000, employment_type: 'self_employed' },
    loan: { amount: 300000, tenure_months: 24 },
    bureau: { score: 590 },
  },
  base_value: -1.2,
  expected_loss: '102600.00',
  credit_limit: '0',
  model: { id: 'm1', version: 3 },
  policy_version: 2,
  bureau_reports: [
    { bureau: 'cibil', status: 'ok', score: 590, cached: false },
    { bureau: 'crif', status: 'error', score: null, cached: false },
  ],
  created_at: '2026-11-21T10:00:00Z',
};

describe('DecisionResult', () => {
  it('shows key factors for an approval and says when bureau data was unavailable', () => {
    const approved = {
      ...decision,
      decision: 'Approve',
      policy_version: 0,
      shap_explanation: ['Strong bureau score'],
      adverse_reasons: [],
    } as Decision;
    const { unmount } = render(
      <MantineProvider>
        <DecisionResult decision={approved} />
      </MantineProvider>,
    );
    expect(screen.getByText('Key factors')).toBeInTheDocument();
    expect(screen.queryByText('Reasons')).toBeNull();
    expect(screen.getByText(/default policy/)).toBeInTheDocument();
    unmount();
    render(
      <MantineProvider>
        <DecisionResult decision={{ ...decision, decision: 'Review', bureau_status: 'unavailable', adverse_reasons: [] } as Decision} />
      </MantineProvider>,
    );
    expect(screen.getByTestId('bureau-status')).toHaveTextContent('Bureau data unavailable');
    expect(screen.getByTestId('adverse-reasons')).toHaveTextContent('No significant adverse factor');
  });

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
    // Contributions in the lender's words, raising risk first, both directions shown.
    expect(screen.getByTestId('shap-chart')).toHaveAccessibleName(
      /Bureau score 0.41, EMIs to income \(FOIR\) 0.2, Alt inflow regularity -0.15/,
    );
    const bars = screen.getByTestId('shap-chart').querySelectorAll('[data-direction]');
    expect([...bars].map((b) => b.getAttribute('data-direction'))).toEqual(['raises', 'raises', 'lowers']);
    // adverse-action reasons, sized; what the decision used, in Indian formats
    expect(within(screen.getByTestId('adverse-reasons')).getByText('Low bureau score')).toBeInTheDocument();
    const inputs = within(screen.getByTestId('decision-inputs'));
    expect(inputs.getByText('12/04/1998')).toBeInTheDocument();
    expect(inputs.getByText('₹3,00,000')).toBeInTheDocument();
    expect(inputs.getByText('Self employed')).toBeInTheDocument();
    expect(screen.getByTestId('bureau-status')).toHaveTextContent('Bureau data pulled live');
    const pulls = within(screen.getByTestId('bureau-pulls'));
    expect(pulls.getByText('cibil')).toBeInTheDocument();
    expect(pulls.getByText('error')).toBeInTheDocument();
  });
});
