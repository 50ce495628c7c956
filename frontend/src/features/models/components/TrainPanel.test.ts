import { describe, expect, it } from 'vitest';
import { csvHeader } from './TrainPanel';

describe('csvHeader', () => {
  it('reads quoted and plain column names from the first line', () => {
    expect(csvHeader('"age",income, default\r\n30,1,0')).toEqual(['age', 'income', 'default']);
    expect(csvHeader('')).toEqual([]);
  });
});
