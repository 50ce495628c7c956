import { Paper, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { humanize } from '@/lib/format';
import { formatMetric, ValueGrid } from './ValueGrid';

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isScalar = (x: unknown) => x === null || ['string', 'number', 'boolean'].includes(typeof x);

function RowsTable({ rows, label }: { rows: Record<string, unknown>[]; label: string }) {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => isScalar(r[k]))))];
  return (
    <Table.ScrollContainer minWidth={Math.min(900, cols.length * 110)}>
      <Table fz="sm" verticalSpacing={4} striped aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            {cols.map((c) => (
              <Table.Th key={c}>{humanize(c)}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.slice(0, 50).map((r, i) => (
            <Table.Tr key={i}>
              {cols.map((c) => (
                <Table.Td key={c}>{formatMetric(c, r[c])}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/**
 * A readable rendering of a summary object whose exact shape the server owns: scalars become KPI
 * cards, flat sub-objects small key/value tables, lists of records tables. `skip` leaves out keys a
 * page already charts.
 */
export function DataSummary({ data, skip = [] }: { data: Record<string, unknown>; skip?: string[] }) {
  const entries = Object.entries(data).filter(([k]) => !skip.includes(k));
  // Sentences (a method, a definition) read as notes, not as KPI cards.
  const isNote = (v: unknown) => typeof v === 'string' && v.length > 40;
  const scalars = Object.fromEntries(entries.filter(([, v]) => isScalar(v) && !isNote(v)));
  const notes = entries.filter(([, v]) => isNote(v)) as [string, string][];
  const objects = entries.filter(([, v]) => isObj(v));
  const lists = entries.filter(([, v]) => Array.isArray(v) && v.length > 0 && v.every(isObj)) as [string, Record<string, unknown>[]][];
  return (
    <Stack gap="md">
      {Object.keys(scalars).length > 0 && <ValueGrid data={scalars} />}
      {objects.length > 0 && (
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
          {objects.map(([k, v]) => {
            const o = v as Record<string, unknown>;
            const flat = Object.entries(o).filter(([, x]) => isScalar(x));
            return (
              <Paper key={k} withBorder p="sm" radius="md">
                <Text fw={600} size="sm" mb={4}>
                  {humanize(k)}
                </Text>
                {flat.length ? (
                  <Table fz="sm" verticalSpacing={2} aria-label={humanize(k)}>
                    <Table.Tbody>
                      {flat.map(([kk, x]) => (
                        <Table.Tr key={kk}>
                          <Table.Td c="dimmed">{humanize(kk)}</Table.Td>
                          <Table.Td ta="right" fw={500}>
                            {formatMetric(kk, x)}
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                ) : (
                  <DataSummary data={o} />
                )}
              </Paper>
            );
          })}
        </SimpleGrid>
      )}
      {notes.map(([k, text]) => (
        <Text key={k} size="xs" c="dimmed">
          <b>{humanize(k)}:</b> {text}
        </Text>
      ))}
      {lists.map(([k, rows]) => (
        <Paper key={k} withBorder p="sm" radius="md">
          <Text fw={600} size="sm" mb={4}>
            {humanize(k)}
          </Text>
          <RowsTable rows={rows} label={humanize(k)} />
        </Paper>
      ))}
    </Stack>
  );
}
