import { MantineProvider } from '@mantine/core';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { theme } from '@/lib/theme';
import { MoneyInput, type MoneyValue } from './MoneyInput';

/** A form field holding what MoneyInput reports, as a form library would. */
function Field({ initial, paise, seen }: { initial: number | string | null; paise?: boolean; seen: MoneyValue[] }) {
  const [value, setValue] = useState<number | string | null>(initial);
  return (
    <MantineProvider theme={theme}>
      <MoneyInput
        label="Loan amount"
        paise={paise}
        value={value}
        onChange={(v) => {
          seen.push(v);
          setValue(v);
        }}
      />
      <button type="button" onClick={() => setValue(250000)}>
        Load another application
      </button>
    </MantineProvider>
  );
}

describe('MoneyInput', () => {
  it('shows amounts in Indian grouping and reports plain numbers', async () => {
    const seen: MoneyValue[] = [];
    render(<Field initial={null} seen={seen} />);
    const input = screen.getByLabelText('Loan amount');
    await userEvent.type(input, '300000');
    expect(input).toHaveValue('3,00,000');
    expect(seen.at(-1)).toBe(300000);
    await userEvent.type(input, '0');
    expect(input).toHaveValue('30,00,000');
    expect(seen.at(-1)).toBe(3000000);
    await userEvent.clear(input);
    expect(seen.at(-1)).toBe('');
  });

  it('shows a decimal string from the API and follows a value set from outside', async () => {
    render(<Field initial="1250000.00" seen={[]} />);
    const input = screen.getByLabelText('Loan amount');
    expect(input).toHaveValue('12,50,000');
    await userEvent.click(screen.getByRole('button', { name: 'Load another application' }));
    expect(input).toHaveValue('2,50,000');
  });

  it('takes paise only when asked, and keeps the point while it is typed', async () => {
    const seen: MoneyValue[] = [];
    render(<Field initial={null} paise seen={seen} />);
    const input = screen.getByLabelText('Loan amount');
    await userEvent.type(input, '1500.');
    expect(input).toHaveValue('1,500.');
    await userEvent.type(input, '75');
    expect(input).toHaveValue('1,500.75');
    expect(seen.at(-1)).toBe(1500.75);
  });

  it('refuses a point in whole rupees', async () => {
    const seen: MoneyValue[] = [];
    render(<Field initial={null} seen={seen} />);
    const input = screen.getByLabelText('Loan amount');
    await userEvent.type(input, '99.5');
    expect(input).toHaveValue('995');
    expect(seen.at(-1)).toBe(995);
  });
});
