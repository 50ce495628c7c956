import { Badge, Paper, ScrollArea, Table, Text } from '@mantine/core';
import type { BatchPreview } from '../api/preview-batch';

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The first rows as parsed, with every row that has errors highlighted and its problems listed. */
export function PreviewTable({ preview }: { preview: BatchPreview }) {
  const errorsByRow = new Map<number, string[]>();
  for (const e of preview.errors) {
    const list = errorsByRow.get(e.row) ?? [];
    list.push(e.field ? `${e.field}: ${e.message}` : e.message);
    errorsByRow.set(e.row, list);
  }
  const columns = preview.columns.length
    ? preview.columns
    : [...new Set(preview.preview.flatMap((r) => Object.keys(r)))].filter((c) => c !== 'row');
  return (
    <Paper withBorder radius="md">
      <ScrollArea type="auto" offsetScrollbars>
        <Table verticalSpacing={6} fz="xs" aria-label="Batch preview" data-testid="batch-preview">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Row</Table.Th>
              <Table.Th>Problems</Table.Th>
              {columns.map((c) => (
                <Table.Th key={c} style={{ whiteSpace: 'nowrap' }}>
                  {c}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {preview.preview.map((r, i) => {
              const row = typeof r.row === 'number' ? r.row : i + 1;
              const errs = errorsByRow.get(row);
              return (
                <Table.Tr key={row} bg={errs ? 'var(--mantine-color-red-light)' : undefined} data-error={errs ? 'true' : undefined}>
                  <Table.Td fw={600}>{row}</Table.Td>
                  <Table.Td miw={200}>
                    {errs ? (
                      <Text size="xs" c="red.8" fw={500}>
                        {errs.join('; ')}
                      </Text>
                    ) : (
                      <Badge size="xs" color="teal" variant="light">
                        ok
                      </Badge>
                    )}
                  </Table.Td>
                  {columns.map((c) => (
                    <Table.Td key={c} style={{ whiteSpace: 'nowrap' }}>
                      {cell(r[c])}
                    </Table.Td>
                  ))}
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </ScrollArea>
    </Paper>
  );
}
