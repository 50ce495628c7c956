import { MantineProvider, TextInput } from '@mantine/core';
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { useListFilters } from '@/lib/list-filters';
import { DataTable, type Column } from './DataTable';
import { EmptyState } from './StatusPanels';

interface Loan {
  id: string;
  name: string;
}
const LOANS: Loan[] = Array.from({ length: 24 }, (_, i) => ({ id: `L${i + 1}`, name: `Borrower ${i + 1}` }));
const COLUMNS: Column<Loan>[] = [
  { header: 'Loan', cell: (l) => l.id },
  { header: 'Borrower', cell: (l) => l.name },
  { header: null, label: 'Actions', cell: (l) => <button type="button">Open {l.id}</button> },
];

/** A paged, filtered list the way the portal's pages build one. */
function Loans() {
  const filters = useListFilters({ name: '' }, { pageSize: 10 });
  const { values, limit, offset } = filters;
  const loans = useQuery({
    queryKey: ['loans', values.name, offset],
    queryFn: async () => {
      const matching = LOANS.filter((l) => l.name.includes(values.name));
      return { items: matching.slice(offset, offset + limit), total: matching.length };
    },
  });
  return (
    <>
      <TextInput label="Borrower" {...filters.form.getInputProps('name')} />
      <DataTable
        query={loans}
        feature="Loans"
        empty={<EmptyState title="No loans match" />}
        label="Loans"
        columns={COLUMNS}
        rowKey={(l) => l.id}
        minWidth={400}
        paging={filters.paging}
        count={(n) => `${n} loans`}
      />
    </>
  );
}

const wrap = () =>
  render(
    <MantineProvider>
      <MemoryRouter>
        <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
          <Loans />
        </QueryClientProvider>
      </MemoryRouter>
    </MantineProvider>,
  );

describe('DataTable with useListFilters', () => {
  it('shows a page of rows, the count and the page links; a new filter goes back to page 1', async () => {
    wrap();
    const table = await screen.findByRole('table', { name: 'Loans' });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((th) => th.textContent),
    ).toEqual(['Loan', 'Borrower', '']);
    expect(within(table).getByRole('columnheader', { name: 'Actions' })).toBeInTheDocument();
    expect(within(table).getAllByRole('row')).toHaveLength(1 + 10);
    expect(screen.getByText('24 loans')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: '3' }));
    expect(await screen.findByRole('cell', { name: 'L21' })).toBeInTheDocument();
    await userEvent.click(screen.getByLabelText('Borrower'));
    await userEvent.paste('Borrower 2');
    // "Borrower 2" and "Borrower 20"…"Borrower 24": 6 loans on one page, no page links
    expect(await screen.findByText('6 loans', {}, { timeout: 2000 })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: 'L2' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: '2' })).toBeNull();
  });

  it('shows the empty state when nothing matches', async () => {
    wrap();
    await screen.findByRole('table', { name: 'Loans' });
    await userEvent.click(screen.getByLabelText('Borrower'));
    await userEvent.paste('nobody');
    expect(await screen.findByText('No loans match', {}, { timeout: 2000 })).toBeInTheDocument();
  });
});
