"""Offline checks of the deployment artifacts: Dockerfile, docker-compose.yml, the Helm chart."""
