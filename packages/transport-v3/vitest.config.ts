import { etcProject } from '@etc/vitest-config';

export default etcProject('@etc/transport-v3');
