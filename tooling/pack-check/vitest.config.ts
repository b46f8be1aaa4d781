import { etcProject } from '@etc/vitest-config';

export default etcProject('@etc/pack-check');
