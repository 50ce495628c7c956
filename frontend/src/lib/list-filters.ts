// The state of a filtered, paged list: the filter fields (a Mantine form), the page, and the values
// the query uses — text fields applied after a short pause, the others at once; any change of a
// filter goes back to page 1.
import { useForm } from '@mantine/form';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';

export const PAGE_SIZE = 25;

export interface Paging {
  page: number;
  setPage: (page: number) => void;
  pageSize: number;
}

/** A page of `pageSize` items: the page number and the limit/offset the API takes. */
export function usePaging(pageSize = PAGE_SIZE) {
  const [page, setPage] = useState(1);
  const paging: Paging = { page, setPage, pageSize };
  return { paging, limit: pageSize, offset: (page - 1) * pageSize };
}

export function useListFilters<V extends Record<string, unknown>>(
  initialValues: V,
  { debounce = [], pageSize = PAGE_SIZE }: { debounce?: readonly (keyof V)[]; pageSize?: number } = {},
) {
  const { paging, limit, offset } = usePaging(pageSize);
  const form = useForm<V>({ mode: 'controlled', initialValues, onValuesChange: () => paging.setPage(1) });
  const [typed] = useDebouncedValue(form.values, 300);
  const values: V = { ...form.values };
  for (const key of debounce) values[key] = typed[key];
  // Clearing remounts inputs that keep their own text (a half-typed date is cleared too).
  const [generation, setGeneration] = useState(0);
  const clear = () => {
    form.reset();
    paging.setPage(1);
    setGeneration((n) => n + 1);
  };
  return { form, values, paging, limit, offset, clear, generation };
}

/** A calendar day picked in India time as the instant the API filters on: its first or its last second. */
export function dayBound(date: string, end: 'start' | 'end'): string | undefined {
  return date ? new Date(`${date}T${end === 'end' ? '23:59:59' : '00:00:00'}+05:30`).toISOString() : undefined;
}
