"""The LogSwarm operator: kopf handlers for the ``logswarm.io/v1alpha1`` resources.

Importing this package registers nothing; :mod:`logswarm.operator.handlers` does (kopf's
decorators register on import), and ``python -m logswarm.operator`` runs them. Only this
package and the remediation package's kube/aws adapters import kubernetes or kopf.
"""
