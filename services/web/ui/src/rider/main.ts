// The rider's phone pages (/m/): Vant, their own bundle; only the API
// client (lib/api.ts) is shared with the console.
import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router'
import './rider.css'
// Functions (not components) bring their own styles.
import 'vant/es/toast/style'
import 'vant/es/dialog/style'

createApp(App).use(router).mount('#app')
