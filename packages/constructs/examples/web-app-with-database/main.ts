import { App } from 'cdk8s';
import { buildShop } from './app.js';

// `node main.js` writes dist/shop.k8s.yaml.
const app = new App({ outdir: 'dist' });
buildShop(app);
app.synth();
