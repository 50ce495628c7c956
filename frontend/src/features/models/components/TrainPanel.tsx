import {
  Alert,
  Autocomplete,
  Badge,
  Button,
  Group,
  Paper,
  Progress,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import { useQueryClient } from '@tanstack/react-query';
import { IconDatabase, IconUpload } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { ErrorAlert } from '@/components/ErrorAlert';
import { JOB_FINISHED, useJob } from '../api/get-job';
import { useTrainModel } from '../api/train-model';

/** Column names from a CSV's header line (for the target picker). */
export function csvHeader(text: string): string[] {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line
    .split(',')
    .map((c) => c.trim().replace(/^"|"$/g, ''))
    .filter(Boolean);
}

export function TrainPanel({ tenant }: { tenant: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [columns, setColumns] = useState<string[]>([]);
  const [target, setTarget] = useState('');
  const [algorithm, setAlgorithm] = useState<'lightgbm' | 'scorecard'>('lightgbm');
  const [positive, setPositive] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const train = useTrainModel(tenant);
  const job = useJob(tenant, jobId);
  const qc = useQueryClient();
  const finished = job.data ? JOB_FINISHED.includes(job.data.status) : false;

  useEffect(() => {
    if (job.data?.status === 'succeeded') void qc.invalidateQueries({ queryKey: ['models', tenant] });
  }, [job.data?.status, qc, tenant]);

  const onFile = async (f: File) => {
    setFile(f);
    setJobId(null);
    setProblem(null);
    if (f.name.toLowerCase().endsWith('.csv')) {
      const head = await f.slice(0, 64 * 1024).text();
      const cols = csvHeader(head);
      setColumns(cols);
      const guess = cols.find((c) => /^(target|default|bad|label|y|class|credit_risk)$/i.test(c));
      if (guess) setTarget(guess);
    } else setColumns([]);
  };

  const submit = () => {
    if (!file) return setProblem('Choose a dataset file');
    if (!target.trim()) return setProblem('Name the target column (the outcome to predict)');
    setProblem(null);
    train.mutate(
      { file, target: target.trim(), algorithm, positive: positive.trim() || undefined },
      { onSuccess: (r) => setJobId(r.job_id) },
    );
  };

  const result = job.data?.result as Record<string, unknown> | null | undefined;
  const newModelId = typeof result?.model_id === 'string' ? result.model_id : null;

  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} size="h4" mb="xs">
        Train a model
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Upload a table of past loans with their outcome (CSV, XLSX or Parquet). CreditDesk splits it, trains, validates and registers a
        draft model with its model card.
      </Text>
      <Stack gap="sm">
        <Dropzone
          onDrop={(files) => files[0] && void onFile(files[0])}
          onReject={() => setProblem('Use one CSV, XLSX or Parquet file')}
          maxFiles={1}
          multiple={false}
          accept={['text/csv', '.csv', '.xlsx', '.parquet', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']}
          aria-label="Upload training data"
        >
          <Group justify="center" gap="sm" mih={60} style={{ pointerEvents: 'none' }}>
            <Dropzone.Accept>
              <IconUpload size={26} />
            </Dropzone.Accept>
            <Dropzone.Idle>
              <IconDatabase size={26} />
            </Dropzone.Idle>
            <Text size="sm" fw={600}>
              {file ? file.name : 'Drop the training data here, or click to choose'}
            </Text>
          </Group>
        </Dropzone>
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          <Autocomplete label="Target column" placeholder="e.g. default" data={columns} value={target} onChange={setTarget} required />
          <TextInput
            label="Event value (optional)"
            description="The value meaning default, e.g. bad or 1"
            value={positive}
            onChange={(e) => setPositive(e.currentTarget.value)}
          />
          <div>
            <Text size="sm" fw={500} mb={4}>
              Algorithm
            </Text>
            <SegmentedControl
              fullWidth
              value={algorithm}
              onChange={(v) => setAlgorithm(v as 'lightgbm' | 'scorecard')}
              data={[
                { value: 'lightgbm', label: 'LightGBM' },
                { value: 'scorecard', label: 'Scorecard' },
              ]}
              aria-label="Algorithm"
            />
          </div>
        </SimpleGrid>
        {problem && (
          <Alert color="red" variant="light" role="alert">
            {problem}
          </Alert>
        )}
        {train.isError && <ErrorAlert error={train.error} title="Training was not started" />}
        <Group justify="flex-end">
          <Button onClick={submit} loading={train.isPending} disabled={!!jobId && !finished}>
            Train
          </Button>
        </Group>
        {jobId && (
          <Paper withBorder p="sm" radius="md" bg="gray.0" data-testid="train-job">
            <Group justify="space-between" mb={6}>
              <Text size="sm" fw={600}>
                Training job {jobId}
              </Text>
              <Badge color={job.data?.status === 'succeeded' ? 'teal' : finished ? 'red' : 'blue'} variant="light">
                {job.data?.status ?? 'queued'}
              </Badge>
            </Group>
            {job.isError ? (
              <ErrorAlert error={job.error} />
            ) : (
              <Progress value={Math.round((job.data?.progress ?? 0) * 100)} animated={!finished} aria-label="Training progress" />
            )}
            {job.data?.error && (
              <Text c="red" size="sm" mt="xs">
                {job.data.error}
              </Text>
            )}
            {newModelId && (
              <Button component={Link} to={`/models/${newModelId}`} variant="light" size="xs" mt="xs">
                Open the model card
              </Button>
            )}
          </Paper>
        )}
      </Stack>
    </Paper>
  );
}
