import { NumberInput, type NumberInputProps } from '@mantine/core';
import { useState } from 'react';
import { toNumber } from '@/lib/format';

export type MoneyValue = number | '';

export interface MoneyInputProps extends Omit<
  NumberInputProps,
  'value' | 'defaultValue' | 'onChange' | 'thousandSeparator' | 'thousandsGroupStyle' | 'decimalScale' | 'allowDecimal'
> {
  /** Rupees: a number, a decimal string as the API sends money ("300000.00"), or '' / null for empty. */
  value?: number | string | null;
  /** Called with the amount as a plain number (300000), or '' when the field is empty. */
  onChange?: (value: MoneyValue) => void;
  /** Allow paise (two decimals); whole rupees otherwise. */
  paise?: boolean;
}

function toAmount(raw: number | string | null | undefined): MoneyValue {
  return toNumber(typeof raw === 'string' ? raw.replace(/,/g, '') : raw) ?? '';
}

/**
 * An amount in rupees shown with Indian digit grouping (3,00,000 and 12,50,00,000), as lenders and
 * borrowers write it; the value it reports stays a plain number for the API.
 */
export function MoneyInput({ value, onChange, paise = false, leftSection = '₹', min = 0, ...props }: MoneyInputProps) {
  // What the user typed ("1500." while typing paise) — kept until the value changes from outside.
  const [text, setText] = useState<number | string>(() => toAmount(value));
  const [seen, setSeen] = useState(value);
  if (value !== seen) {
    setSeen(value);
    if (toAmount(value) !== toAmount(text)) setText(toAmount(value));
  }
  return (
    <NumberInput
      inputMode={paise ? 'decimal' : 'numeric'}
      hideControls
      {...props}
      leftSection={leftSection}
      min={min}
      allowNegative={min < 0}
      allowDecimal={paise}
      decimalScale={paise ? 2 : 0}
      thousandSeparator=","
      thousandsGroupStyle="lakh"
      value={text}
      onChange={(raw) => {
        setText(raw);
        onChange?.(toAmount(raw));
      }}
    />
  );
}
