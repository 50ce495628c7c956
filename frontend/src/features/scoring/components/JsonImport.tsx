import { Alert, Button, Group, Stack, Text, Textarea } from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import { IconFileTypeJs, IconUpload } from '@tabler/icons-react';
import { useState } from 'react';
import { readText } from '@/lib/download';
import { fromApplicationJson, type FormValues } from './application-form';

/** Paste or drop one application as JSON (the API's body shape); it fills the form for review. */
export function JsonImport({ onLoad }: { onLoad: (values: FormValues, source: string) => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);

  const load = (raw: string, source: string) => {
    try {
      onLoad(fromApplicationJson(raw), source);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <Stack gap="sm">
      <Dropzone
        onDrop={async (files) => {
          const file = files[0];
          if (!file) return;
          const raw = await readText(file);
          setText(raw);
          load(raw, file.name);
        }}
        onReject={() => setError('Drop one .json file of at most 1 MB')}
        accept={['application/json', '.json']}
        maxFiles={1}
        maxSize={1024 * 1024}
        multiple={false}
        aria-label="Upload application JSON"
        data-testid="json-dropzone"
      >
        <Group justify="center" gap="sm" mih={70} style={{ pointerEvents: 'none' }}>
          <Dropzone.Accept>
            <IconUpload size={28} />
          </Dropzone.Accept>
          <Dropzone.Idle>
            <IconFileTypeJs size={28} />
          </Dropzone.Idle>
          <div>
            <Text size="sm" fw={600}>
              Drop an application .json here, or click to choose
            </Text>
            <Text size="xs" c="dimmed">
              The same body the API takes — e.g. data/sample_application.json
            </Text>
          </div>
        </Group>
      </Dropzone>
      <Textarea
        label="…or paste JSON"
        placeholder='{"applicant": {…}, "loan": {…}}'
        autosize
        minRows={4}
        maxRows={14}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
      />
      {error && (
        <Alert color="red" variant="light" role="alert" title="Cannot use this JSON">
          {error}
        </Alert>
      )}
      <Group justify="flex-end">
        <Button variant="light" onClick={() => load(text, 'pasted JSON')} disabled={!text.trim()}>
          Load into form
        </Button>
      </Group>
    </Stack>
  );
}
