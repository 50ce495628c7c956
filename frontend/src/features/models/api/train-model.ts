import { useMutation } from '@tanstack/react-query';
import { api } from '@/client';
import { unwrap } from '@/lib/errors';
import { toFormData } from '@/lib/multipart';

export interface TrainInput {
  file: File;
  target: string;
  algorithm: 'lightgbm' | 'scorecard';
  positive?: string;
}

/** Start training on an uploaded dataset; the answer (202) names the job to follow. */
export async function trainModel(tenant: string, input: TrainInput) {
  return unwrap(
    await api.POST('/api/v1/tenants/{tenant}/models/train', {
      params: { path: { tenant } },
      body: input,
      bodySerializer: toFormData,
    }),
  );
}

export function useTrainModel(tenant: string) {
  return useMutation({ mutationFn: (input: TrainInput) => trainModel(tenant, input) });
}
