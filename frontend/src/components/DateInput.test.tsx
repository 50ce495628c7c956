import { MantineProvider } from '@mantine/core';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { theme } from '@/lib/theme';
import { DateInput, isoToIndian, parseIndianDate } from './DateInput';

function Field({ initial = '', min, max, seen }: { initial?: string; min?: string; max?: string; seen: string[] }) {
  const [value, setValue] = useState(initial);
  return (
    <MantineProvider theme={theme}>
      <DateInput
        label="Date of birth"
        value={value}
        min={min}
        max={max}
        onChange={(v) => {
          seen.push(v);
          setValue(v);
        }}
      />
      <button type="button">next field</button>
      <output data-testid="iso">{value}</output>
    </MantineProvider>
  );
}

describe('parseIndianDate', () => {
  it('reads day first, with or without zeros and separators, and ISO pasted in', () => {
    expect(parseIndianDate('12/04/1998')).toBe('1998-04-12');
    expect(parseIndianDate('1/4/1998')).toBe('1998-04-01');
    expect(parseIndianDate('12-04-1998')).toBe('1998-04-12');
    expect(parseIndianDate('12.04.1998')).toBe('1998-04-12');
    expect(parseIndianDate('12041998')).toBe('1998-04-12');
    expect(parseIndianDate('1998-04-12')).toBe('1998-04-12');
  });

  it('refuses days that are not on the calendar', () => {
    expect(parseIndianDate('31/02/1990')).toBeNull();
    expect(parseIndianDate('29/02/2023')).toBeNull();
    expect(parseIndianDate('29/02/2024')).toBe('2024-02-29');
    expect(parseIndianDate('04/13/1998')).toBeNull(); // mm/dd is not read as dd/mm
    expect(parseIndianDate('12/04/98')).toBeNull();
  });

  it('shows ISO dates day first', () => {
    expect(isoToIndian('1998-04-12')).toBe('12/04/1998');
    expect(isoToIndian('')).toBe('');
  });
});

describe('DateInput', () => {
  it('shows the value as dd/mm/yyyy and reports ISO', async () => {
    const seen: string[] = [];
    render(<Field initial="1998-04-12" seen={seen} />);
    const input = screen.getByLabelText('Date of birth');
    expect(input).toHaveValue('12/04/1998');
    await userEvent.clear(input);
    await userEvent.type(input, '01052001');
    expect(input).toHaveValue('01/05/2001');
    expect(screen.getByTestId('iso')).toHaveTextContent('2001-05-01');
    expect(seen.at(-1)).toBe('2001-05-01');
  });

  it('tidies a date typed with its own slashes once the field is left', async () => {
    render(<Field seen={[]} />);
    const input = screen.getByLabelText('Date of birth');
    await userEvent.type(input, '1/4/1998');
    expect(screen.getByTestId('iso')).toHaveTextContent('1998-04-01');
    await userEvent.tab();
    expect(input).toHaveValue('01/04/1998');
  });

  it('says what is wrong with a date that does not exist, and reports none', async () => {
    const seen: string[] = [];
    render(<Field seen={seen} />);
    await userEvent.type(screen.getByLabelText('Date of birth'), '31021990');
    await userEvent.tab();
    expect(screen.getByText('31/02/1990 is not a date on the calendar')).toBeInTheDocument();
    expect(seen.at(-1)).toBe('');
  });

  it('keeps to its bounds', async () => {
    const seen: string[] = [];
    render(<Field seen={seen} max="2008-01-01" />);
    await userEvent.type(screen.getByLabelText('Date of birth'), '02012008');
    await userEvent.tab();
    expect(screen.getByText('On or before 01/01/2008')).toBeInTheDocument();
    expect(seen.at(-1)).toBe('');
  });
});
