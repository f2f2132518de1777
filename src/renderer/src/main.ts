// Renderer entry: Vue + Pinia over whichever transport this page has (the
// desktop preload or HTTP to `wbc serve`, see api/transport).
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import './styles.css'

createApp(App).use(createPinia()).mount('#app')
