import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useCreateBatch } from '../api/create-batch';
import { useBatch } from '../api/get-batch';
import { usePreviewBatch } from '../api/preview-batch';

/**
 * One batch from file to results: the chosen file and its preview, the submission, and the batch
 * being followed. Choosing another file starts over.
 */
export function useBatchSubmission(tenant: string) {
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [rejected, setRejected] = useState<string | null>(null);
  const [batchId, setBatchId] = useState<string | null>(null);
  const preview = usePreviewBatch(tenant);
  const create = useCreateBatch(tenant);
  const batch = useBatch(tenant, batchId);

  const choose = (f: File) => {
    setFile(f);
    setBatchId(null);
    create.reset();
    setRejected(null);
    preview.mutate(f);
  };
  const submit = () => {
    if (!file) return;
    create.mutate(file, {
      onSuccess: (b) => {
        setBatchId(b.batch_id);
        void queryClient.invalidateQueries({ queryKey: ['batches', tenant] });
      },
    });
  };
  return { file, choose, rejected, reject: setRejected, preview, create, submit, batchId, batch };
}

export type BatchSubmission = ReturnType<typeof useBatchSubmission>;
