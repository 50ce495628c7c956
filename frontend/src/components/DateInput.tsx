import { ActionIcon, TextInput, type TextInputProps } from '@mantine/core';
import { IconCalendar } from '@tabler/icons-react';
import { useRef, useState, type FocusEvent } from 'react';

export interface DateInputProps extends Omit<TextInputProps, 'value' | 'defaultValue' | 'onChange' | 'type' | 'min' | 'max'> {
  /** An ISO date (yyyy-mm-dd), or '' / null for empty. */
  value?: string | null;
  /** Called with an ISO date (yyyy-mm-dd) once the text is a real date, and with '' while it is empty or not one. */
  onChange?: (iso: string) => void;
  /** Earliest and latest dates allowed, ISO. */
  min?: string;
  max?: string;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "1998-04-12" → "12/04/1998"; anything else → ''. */
export function isoToIndian(iso: string | null | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso ?? '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
}

/**
 * Read what a person typed as a date: dd/mm/yyyy (also with - or . and without leading zeros), eight
 * digits ddmmyyyy, or a pasted ISO yyyy-mm-dd. Returns the ISO date, or null when it is not a real day
 * (31/02/1990 is not).
 */
export function parseIndianDate(text: string): string | null {
  const t = text.trim();
  let d: number, m: number, y: number;
  let match: RegExpExecArray | null;
  if ((match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t))) [y, m, d] = [+match[1]!, +match[2]!, +match[3]!];
  else if ((match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t))) [d, m, y] = [+match[1]!, +match[2]!, +match[3]!];
  else if ((match = /^(\d{2})(\d{2})(\d{4})$/.exec(t))) [d, m, y] = [+match[1]!, +match[2]!, +match[3]!];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1000 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
}

/** While typing only digits, put the slashes in: "120419" → "12/04/19". */
function withSlashes(raw: string, previous: string): string {
  if (!/^\d+$/.test(raw.replace(/\//g, '')) || raw.length < previous.length) return raw; // deleting, or own separators
  if (/\/\d?\//.test(raw) || /^\d\//.test(raw)) return raw; // "1/4/1998": the user writes the slashes
  const digits = raw.replace(/\//g, '').slice(0, 8);
  return [digits.slice(0, 2), digits.slice(2, 4), digits.slice(4)].filter(Boolean).join('/');
}

function problem(text: string, min?: string, max?: string): string | null {
  if (!text.trim()) return null;
  const iso = parseIndianDate(text);
  if (!iso) {
    return /^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}$/.test(text.trim())
      ? `${text.trim()} is not a date on the calendar`
      : 'Enter the date as dd/mm/yyyy';
  }
  if (min && iso < min) return `On or after ${isoToIndian(min)}`;
  if (max && iso > max) return `On or before ${isoToIndian(max)}`;
  return null;
}

/**
 * A date typed and shown as dd/mm/yyyy (as Indian users write it, whatever the browser's locale),
 * reported to the form as an ISO date for the API. A calendar button opens the browser's own picker.
 */
export function DateInput({ value, onChange, min, max, error, onBlur, placeholder = 'dd/mm/yyyy', ...props }: DateInputProps) {
  const [text, setText] = useState(() => isoToIndian(value));
  const [seen, setSeen] = useState(value);
  const [touched, setTouched] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  if (value !== seen) {
    setSeen(value);
    if ((value ?? '') !== (parseIndianDate(text) ?? '')) setText(isoToIndian(value));
  }
  const emit = (next: string) => {
    setText(next);
    const iso = parseIndianDate(next);
    onChange?.(iso && !problem(next, min, max) ? iso : '');
  };
  const own = touched ? problem(text, min, max) : null;
  return (
    <TextInput
      inputMode="numeric"
      autoComplete="off"
      maxLength={10}
      placeholder={placeholder}
      {...props}
      value={text}
      error={own ?? error}
      onChange={(e) => emit(withSlashes(e.currentTarget.value, text))}
      onBlur={(e: FocusEvent<HTMLInputElement>) => {
        setTouched(true);
        const iso = parseIndianDate(text);
        if (iso) setText(isoToIndian(iso)); // "1/4/1998" → "01/04/1998"
        onBlur?.(e);
      }}
      rightSection={
        <>
          <ActionIcon
            variant="subtle"
            color="gray"
            aria-label="Open calendar"
            tabIndex={-1}
            disabled={props.disabled}
            onClick={() => picker.current?.showPicker?.()}
          >
            <IconCalendar size={16} />
          </ActionIcon>
          <input
            ref={picker}
            type="date"
            tabIndex={-1}
            aria-hidden
            min={min}
            max={max}
            value={parseIndianDate(text) ?? ''}
            onChange={(e) => {
              setTouched(true);
              emit(isoToIndian(e.currentTarget.value));
            }}
            style={{ position: 'absolute', inset: 0, opacity: 0, pointerEvents: 'none', width: '100%' }}
          />
        </>
      }
    />
  );
}
