"""{{ cookiecutter.project_name }}: exports {{ cookiecutter.publisher }}/{{ cookiecutter.model_name }}/{{ cookiecutter.model_version }} as a reusable TF2 SavedModel."""

# The version of the reusable-SavedModel template this project was generated from.
TEMPLATE_VERSION = "{{ cookiecutter.__template_version }}"
