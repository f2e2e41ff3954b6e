import { LabIcon } from '@jupyterlab/ui-components';

// A magnifier over three bars: diagnostics on a model's numbers.
const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <rect x="2" y="13" width="3" height="8" rx="0.5"/>
    <rect x="7" y="9" width="3" height="12" rx="0.5"/>
    <rect x="12" y="15" width="3" height="6" rx="0.5"/>
    <path d="M16.5 2a5.5 5.5 0 0 1 4.43 8.76l2.65 2.66-1.41 1.41-2.66-2.65A5.5 5.5 0 1 1 16.5 2zm0 2a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7z"/>
  </g>
</svg>`;

export const diaglabIcon = new LabIcon({ name: 'diaglab:icon', svgstr });
