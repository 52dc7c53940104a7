import { describe, expect, it } from 'vitest';
import { deployment, service } from './fixtures.js';
import { checkServiceWiring } from '../src/services.js';

const web = deployment('web', { app: 'web' });

describe('checkServiceWiring', () => {
  it('accepts a Service whose selector and targetPort match a pod template', () => {
    expect(checkServiceWiring([web, service('web', { app: 'web' }, [{ port: 80, targetPort: 8080 }])])).toEqual([]);
    expect(checkServiceWiring([web, service('web', { app: 'web' }, [{ port: 80, targetPort: 'http' }])])).toEqual([]);
  });

  it('fails when the selector matches no pod template (the book\'s bug)', () => {
    expect(checkServiceWiring([web, service('web', { app: 'natter-api' }, [{ port: 80, targetPort: 8080 }])])).toEqual([
      'Service/shop/web: selector {"app":"natter-api"} matches no pod template',
    ]);
  });

  it('fails when the matching template lives in another namespace', () => {
    expect(checkServiceWiring([web, service('web', { app: 'web' }, [{ port: 80 }], 'other')])).toHaveLength(1);
  });

  it('fails when the targetPort is not a containerPort (number, name or protocol)', () => {
    expect(checkServiceWiring([web, service('web', { app: 'web' }, [{ port: 80, targetPort: 8081 }])])).toHaveLength(1);
    expect(checkServiceWiring([web, service('web', { app: 'web' }, [{ port: 80, targetPort: 'https' }])])).toHaveLength(1);
    expect(checkServiceWiring([web, service('web', { app: 'web' }, [{ port: 8080, protocol: 'UDP' }])])).toHaveLength(1);
    // No targetPort means targetPort = port.
    expect(checkServiceWiring([web, service('web', { app: 'web' }, [{ port: 80 }])])).toHaveLength(1);
  });

  it('fails on a Service without a selector', () => {
    expect(checkServiceWiring([web, service('web', {}, [{ port: 80 }])])).toEqual(['Service/shop/web: has no selector (it would need hand-made Endpoints)']);
  });
});
