import {
  Group,
  Pagination,
  Paper,
  Stack,
  Table,
  Text,
  type TableProps,
  type TableTdProps,
  type TableThProps,
  type TableTrProps,
} from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { Paging } from '@/lib/list-filters';
import { QueryState } from './QueryState';

export interface Column<T> {
  /** The header's text; null for a column of buttons, which then needs a `label`. */
  header: string | null;
  /** The header's accessible name when it shows no text. */
  label?: string;
  cell: (row: T) => ReactNode;
  th?: TableThProps;
  td?: TableTdProps;
}

export interface TableViewProps<T> {
  /** The table's accessible name (tests and screen readers find it by this). */
  label?: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  rowProps?: (row: T) => Omit<TableTrProps, 'children'>;
  /** Below this width the table scrolls sideways instead of squeezing (phones). */
  minWidth: number;
  /** Mantine's table options: striped, highlightOnHover, verticalSpacing… */
  table?: Omit<TableProps, 'children'>;
  /** In a bordered paper of its own (true) or inside the caller's panel. */
  framed?: boolean;
}

/** A list as a table: one header row from the columns, one row per item, scrolling sideways on a phone. */
export function TableView<T>({ label, columns, rows, rowKey, rowProps, minWidth, table, framed = true }: TableViewProps<T>) {
  const view = (
    <Table.ScrollContainer minWidth={minWidth}>
      <Table verticalSpacing="sm" {...table} aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            {columns.map((c, i) => (
              <Table.Th key={c.header ?? c.label ?? i} aria-label={c.header === null ? c.label : undefined} {...c.th}>
                {c.header}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={rowKey(row)} {...rowProps?.(row)}>
              {columns.map((c, i) => (
                <Table.Td key={c.header ?? c.label ?? i} {...c.td}>
                  {c.cell(row)}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
  return framed ? (
    <Paper withBorder radius="md">
      {view}
    </Paper>
  ) : (
    view
  );
}

interface DataTableProps<T, D extends { items: T[]; total?: number }> extends Omit<TableViewProps<T>, 'rows' | 'framed'> {
  query: UseQueryResult<D>;
  /** Names the list in the loading, error and "not available" panels. */
  feature: string;
  /** What to show when the list is empty. */
  empty: ReactNode;
  /** Pages of the list (from useListFilters or usePaging); the count and the page links show under the table. */
  paging?: Paging;
  /** The count under the table, given the total already formatted: (n) => `${n} applications`. */
  count?: (total: string) => string;
}

/**
 * The list shell of the portal's pages: loading, error, "not available" and empty states (QueryState),
 * the table, then the number of items and the page links.
 */
export function DataTable<T, D extends { items: T[]; total?: number }>({
  query,
  feature,
  empty,
  paging,
  count,
  ...view
}: DataTableProps<T, D>) {
  return (
    <QueryState query={query} feature={feature} isEmpty={(d) => d.items.length === 0} empty={empty}>
      {(data) => {
        const table = <TableView rows={data.items} {...view} />;
        if (!paging || data.total === undefined) return table;
        const pages = Math.ceil(data.total / paging.pageSize);
        return (
          <Stack>
            {table}
            <Group justify="space-between">
              <Text size="sm" c="dimmed">
                {count?.(data.total.toLocaleString('en-IN'))}
              </Text>
              {pages > 1 && <Pagination total={pages} value={paging.page} onChange={paging.setPage} siblings={1} />}
            </Group>
          </Stack>
        );
      }}
    </QueryState>
  );
}
